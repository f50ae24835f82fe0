using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Onnx;

/// <summary>Turns a parsed ModelProto into the IR: constants read, graph input shapes bound with the options.</summary>
internal static class GraphImporter
{
    public static Graph Import(ModelProto model, ModelOptions options)
    {
        if (model.Graph is null) throw new CompileError(DiagnosticDescriptors.MalformedModel, "the file has no graph");
        int nodes = 0;
        CheckSize(model.Graph, depth: 0, ref nodes);
        var g = new Graph();
        foreach (var opset in model.OpsetImport)
        {
            var domain = opset.Domain == "ai.onnx" ? "" : opset.Domain;
            g.Opsets[domain] = (int)Math.Min(int.MaxValue, opset.Version);
        }
        if (!g.Opsets.ContainsKey("")) g.Opsets[""] = 1;

        var dims = options.ParseDims();
        var shapes = options.ParseShapes();
        var constantInputs = options.ParseConstantInputs();

        foreach (var init in model.Graph.Initializer)
        {
            var v = g.Value(init.Name);
            v.Constant = TensorReader.Read(init);
            v.Type = v.Constant.Type;
            v.Shape = v.Constant.Shape;
            v.Precision = (DataType)init.DataType;
        }

        foreach (var input in model.Graph.Input)
        {
            if (g.Values.TryGetValue(input.Name, out var existing) && existing.Constant is not null) continue; // IR < 4: initializers listed as inputs
            var v = g.Value(input.Name);
            var tensorType = input.Type?.TensorType
                ?? throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"input '{input.Name}' is not a tensor (sequences, maps and optionals are not supported)");
            v.Type = (DataType)tensorType.ElemType;
            if (!DataTypes.IsRuntimeType(v.Type) && !DataTypes.IsHalf(v.Type))
                throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"input '{input.Name}' has element type {DataTypes.Name(v.Type)}, which is not supported");
            v.Shape = BindShape(input.Name, tensorType.Shape, dims, shapes);
            if (constantInputs.TryGetValue(input.Name, out var values))
            {
                // A float16/bfloat16 input bound to constants becomes a float constant of that precision.
                if (DataTypes.IsHalf(v.Type)) (v.Precision, v.Type) = (v.Type, DataType.Float);
                var t = Tensor.Create(v.Type, v.Shape);
                if (values.Length != t.Length && values.Length != 1)
                    throw new CompileError(DiagnosticDescriptors.InvalidOption, $"ConstantInputs: '{input.Name}' needs {t.Length} values, got {values.Length}");
                for (int i = 0; i < t.Length; i++) t.Set(i, HalfPrecisionBoundary.Round(values[values.Length == 1 ? 0 : i], v.Precision));
                v.Constant = t;
                continue;
            }
            g.Inputs.Add(input.Name);
        }

        foreach (var output in model.Graph.Output) g.Outputs.Add(output.Name);
        if (g.Outputs.Count == 0) throw new CompileError(DiagnosticDescriptors.MalformedModel, "the graph has no outputs");

        var names = new NameScope(ReservedNames(model.Graph), parent: null);
        ImportNodes(g, model.Graph.Node, g.Nodes, names);
        HalfPrecisionBoundary.Insert(g, model.Graph.Output.Select(o => (o.Name, (DataType)(o.Type?.TensorType?.ElemType ?? 0))));
        return g;
    }

    /// <summary>Enforces <see cref="Limits.MaxNodes"/> and <see cref="Limits.MaxSubgraphDepth"/> before anything is imported.</summary>
    private static void CheckSize(GraphProto graph, int depth, ref int nodes)
    {
        if (depth > Limits.MaxSubgraphDepth)
            throw new CompileError(DiagnosticDescriptors.LimitExceeded, $"subgraphs are nested more than {Limits.MaxSubgraphDepth} deep (limit MaxSubgraphDepth); flatten the control flow in the exporter");
        nodes += graph.Node.Count;
        if (nodes > Limits.MaxNodes)
            throw new CompileError(DiagnosticDescriptors.LimitExceeded, $"the model has more than {Limits.MaxNodes} nodes (limit MaxNodes, subgraphs included)");
        foreach (var node in graph.Node)
            foreach (var a in node.Attribute)
            {
                if (a.G is not null) CheckSize(a.G, depth + 1, ref nodes);
                foreach (var sub in a.Graphs) CheckSize(sub, depth + 1, ref nodes);
            }
    }

    /// <summary>Every name the main graph defines: subgraph locals that reuse one are renamed.</summary>
    private static HashSet<string> ReservedNames(GraphProto graph)
    {
        var reserved = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in graph.Input) reserved.Add(i.Name);
        foreach (var i in graph.Initializer) reserved.Add(i.Name);
        foreach (var n in graph.Node) foreach (var o in n.Output) if (o.Length > 0) reserved.Add(o);
        return reserved;
    }

    private static void ImportNodes(Graph g, IEnumerable<NodeProto> nodes, List<Node> into, NameScope names)
    {
        foreach (var np in nodes)
        {
            var domain = np.Domain == "ai.onnx" ? "" : np.Domain;
            if (np.OpType == "Constant" && domain.Length == 0)
            {
                var v = g.Value(names.Resolve(np.Output.Count > 0 ? np.Output[0] : ""));
                v.Constant = ConstantValue(np);
                v.Type = v.Constant.Type;
                v.Shape = v.Constant.Shape;
                v.Precision = np.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } tensor ? (DataType)tensor.DataType : DataType.Undefined;
                continue;
            }
            var node = new Node(np.OpType, domain, np.Name, g.Opsets.TryGetValue(domain, out var ver) ? ver : 1);
            node.Inputs.AddRange(np.Input.Select(names.Resolve));
            node.Outputs.AddRange(np.Output.Select(names.Resolve));
            foreach (var a in np.Attribute)
            {
                if (a.G is not null) node.Subgraphs[a.Name] = ImportSubgraph(g, a.G, names);
                else if (a.Graphs.Count > 0)
                    throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { np.OpType, $"node {node.Display} has a list of graphs in attribute '{a.Name}'" });
                else node.Attributes[a.Name] = a;
            }
            into.Add(node);
        }
    }

    /// <summary>
    /// A graph-valued attribute: its local names (inputs, initializers, node outputs) get model-unique names;
    /// any other name it reads resolves to the enclosing scopes, so outer values are shared, not copied.
    /// </summary>
    private static Subgraph ImportSubgraph(Graph g, GraphProto proto, NameScope outer)
    {
        var names = new NameScope(outer.Reserved, outer);
        foreach (var i in proto.Input) names.Define(i.Name);
        foreach (var i in proto.Initializer) names.Define(i.Name);
        foreach (var n in proto.Node) foreach (var o in n.Output) if (o.Length > 0) names.Define(o);

        var sub = new Subgraph();
        foreach (var init in proto.Initializer)
        {
            var v = g.Value(names.Resolve(init.Name));
            v.Constant = TensorReader.Read(init);
            v.Type = v.Constant.Type;
            v.Shape = v.Constant.Shape;
        }
        sub.Inputs.AddRange(proto.Input.Select(i => names.Resolve(i.Name)));
        ImportNodes(g, proto.Node, sub.Nodes, names);
        sub.Outputs.AddRange(proto.Output.Select(o => names.Resolve(o.Name)));
        return sub;
    }

    /// <summary>Lexical scopes of value names: a subgraph's locals shadow outer names and never collide with another scope's.</summary>
    private sealed class NameScope
    {
        private readonly Dictionary<string, string> _local = new(StringComparer.Ordinal);
        private readonly NameScope? _parent;

        public NameScope(HashSet<string> reserved, NameScope? parent)
        {
            Reserved = reserved;
            _parent = parent;
        }

        public HashSet<string> Reserved { get; }

        public void Define(string name)
        {
            if (_local.ContainsKey(name)) return;
            var unique = name;
            for (int k = 1; !Reserved.Add(unique); k++) unique = name + "/" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _local[name] = unique;
        }

        public string Resolve(string name)
        {
            if (name.Length == 0) return name;
            for (var s = this; s is not null; s = s._parent)
                if (s._local.TryGetValue(name, out var unique)) return unique;
            return name;
        }
    }

    private static int[] BindShape(string input, TensorShapeProto? proto, Dictionary<string, int> dims, Dictionary<string, int[]> shapes)
    {
        if (shapes.TryGetValue(input, out var bound))
        {
            if (proto is not null && proto.Dim.Count != bound.Length)
                throw new CompileError(DiagnosticDescriptors.InvalidOption, $"Shapes: '{input}' has rank {proto.Dim.Count} but the binding {Shape.Format(bound)} has rank {bound.Length}");
            return bound;
        }
        if (proto is null)
            throw new CompileError(DiagnosticDescriptors.UnboundDimension, new[] { input, "(all)", "no declared shape", $"Shapes=\"{input}=AxBxC\"" });
        var shape = new int[proto.Dim.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            var d = proto.Dim[i];
            if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue >= 0)
            {
                if (d.DimValue > int.MaxValue) throw new CompileError(DiagnosticDescriptors.LimitExceeded, $"input '{input}' has dimension {d.DimValue}");
                shape[i] = (int)d.DimValue;
            }
            else if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam && dims.TryGetValue(d.DimParam, out var size))
                shape[i] = size;
            else
            {
                var param = d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam : "";
                var index = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                throw new CompileError(DiagnosticDescriptors.UnboundDimension, param.Length == 0
                    ? new[] { input, index, "unnamed", $"Shapes=\"{input}=AxBxC\"" }
                    : new[] { input, index, $"'{param}'", $"Dims=\"{param}=N\" (or Shapes=\"{input}=AxBxC\")" });
            }
        }
        return shape;
    }

    /// <summary>The tensor a Constant node produces, from whichever value attribute it has.</summary>
    public static Tensor ConstantValue(NodeProto np)
    {
        foreach (var a in np.Attribute)
        {
            switch (a.Name)
            {
                case "value": return TensorReader.Read(a.T);
                case "value_float": return Tensor.FromFloats(Shape.Scalar, new[] { a.F });
                case "value_floats": return Tensor.FromFloats(new[] { a.Floats.Count }, a.Floats.ToArray());
                case "value_int": return Tensor.FromLongs(Shape.Scalar, new[] { a.I });
                case "value_ints": return Tensor.FromLongs(new[] { a.Ints.Count }, a.Ints.ToArray());
            }
        }
        throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "Constant", $"node '{np.Name}' has no supported value attribute (sparse and string constants are not supported)" });
    }
}
