using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Emit;

/// <summary>Summary figures of a compiled model, for the build log and the generated constants.</summary>
internal sealed record ModelFigures(int ArenaBytes, long WeightBytes, long Macs, long ArenaLowerBound, long ArenaNoReuse, int Nodes)
{
    /// <summary>The largest arena tensors (name, bytes, producing node), largest first: what a RAM budget report names.</summary>
    public IReadOnlyList<(string Name, long Bytes, string Producer)> LargestTensors { get; init; } = Array.Empty<(string, long, string)>();

    /// <summary>The largest embedded constants (name, bytes), largest first: what a ROM budget report names.</summary>
    public IReadOnlyList<(string Name, long Bytes)> LargestWeights { get; init; } = Array.Empty<(string, long)>();
}

/// <summary>What emission decided besides the source, for tools: the memory plan and the per-layer report.</summary>
internal sealed record EmitDetails(MemoryPlan Plan, ModelReport Report)
{
    /// <summary>With a profiler: the emitted nodes in the order of their Mark calls (what each time belongs to).</summary>
    public IReadOnlyList<string> ProfiledNodes { get; init; } = Array.Empty<string>();
}

/// <summary>Writes the model class (Infer, constants, shape tables) and its weights file.</summary>
internal sealed class ModelEmitter : EmitSymbols
{
    private const string Rt = "global::EfficientAI.Runtime";
    private const string Sys = "global::System";
    private const string Mm = "global::System.Runtime.InteropServices.MemoryMarshal";

    private readonly Graph _graph;
    private readonly ModelOptions _options;
    private readonly string _modelFile;
    private readonly MemoryPlan _plan;
    private readonly Dictionary<string, string> _locals = new();
    private readonly Dictionary<string, string> _intTables = new();
    private readonly WeightsWriter _weights = new();
    private readonly Identifiers _names;
    private readonly Dictionary<string, string> _params = new();
    private readonly Dictionary<Node, long> _nodeWeightBytes = new();

    // A static class with Mark(int) called before each node and once after the last (eai profile), or null.
    private readonly string? _profiler;
    private readonly List<string> _profiledNodes = new();

    private ModelEmitter(Graph graph, ModelOptions options, string modelFile, MemoryPlan plan, string? profiler)
    {
        _profiler = profiler;
        _graph = graph;
        _options = options;
        _modelFile = modelFile;
        _plan = plan;
        _names = new Identifiers(new[] { "scratch", "arena", "Infer", "ArenaBytes", "WeightBytes", "MacsPerInference", "Weights", "t_arena",
            // locals of inline op code (Gather, Cast)
            "eai_x", "eai_y", "eai_i", "eai_j", "eai_k", "eai_r", "eai_indices", "eai_a", "eai_b", "eai_c", "eai_d" });
    }

    public static (string Model, string Weights, ModelFigures Figures) Emit(Graph graph, ModelOptions options, string modelFile, CancellationToken ct) =>
        Emit(graph, options, modelFile, ct, out _);

    public static (string Model, string Weights, ModelFigures Figures) Emit(Graph graph, ModelOptions options, string modelFile, CancellationToken ct, out EmitDetails details,
        string? profiler = null)
    {
        var disabled = options.ParseDisabledPasses();
        var plan = MemoryPlan.Build(graph, inPlace: !disabled.Contains("InPlaceMemory") && !disabled.Contains("all"), ct);
        var e = new ModelEmitter(graph, options, modelFile, plan, profiler);
        var (model, weights, figures) = e.Write(ct);
        details = new EmitDetails(plan, ModelReport.Build(graph, plan, figures, System.IO.Path.GetFileName(modelFile), options.Namespace + "." + options.ClassName, e._nodeWeightBytes))
        {
            ProfiledNodes = e._profiledNodes,
        };
        return (model, weights, figures);
    }

    private (string, string, ModelFigures) Write(CancellationToken ct)
    {
        var inputs = _graph.Inputs.Select(n => _graph.Values[n]).ToList();
        var outputs = _graph.Outputs.Select(n => _graph.Values[n]).ToList();
        foreach (var v in inputs) _params[v.Name] = _names.Unique(v.Name);
        var outputParams = outputs.Select(v => _names.Unique(v.Name)).ToList();

        // The body first: it decides which weights and tables exist.
        var body = new SourceWriter();
        body.Indent(); body.Indent(); body.Indent();
        DeclareLocals(body, outputs, outputParams);
        long macs = 0;
        List<Guard> open = new();
        foreach (var node in _graph.Nodes)
        {
            ct.ThrowIfCancellationRequested();
            if (_plan.Views.Contains(node)) continue;
            if (!open.SequenceEqual(node.Guards))
            {
                // Consecutive nodes of one run-time If branch share one block.
                if (open.Count > 0) body.Close();
                if (node.Guards.Count > 0) body.Open("if (" + string.Join(" && ", node.Guards.Select(g => (g.When ? "" : "!") + Tensor(g.Condition) + "[0]")) + ")");
                open = node.Guards;
            }
            var op = OperatorRegistry.Find(node.Domain, node.OpType)!;
            var ctx = new EmitContext(_graph, node, body, this);
            macs += op.Macs(ctx);
            string description = Describe(node, _graph);
            if (_profiler is not null)
            {
                body.Line($"{_profiler}.Mark({_profiledNodes.Count});");
                _profiledNodes.Add(description);
            }
            body.Line("// " + description);
            long weightsBefore = _weights.TotalBytes;
            op.Emit(ctx);
            if (!op.SetsPrecision) RoundToPrecision(body, node);
            _nodeWeightBytes[node] = _weights.TotalBytes - weightsBefore; // the weights this node embeds first (shared ones count once)
        }
        if (open.Count > 0) body.Close();
        if (_profiler is not null) body.Line($"{_profiler}.Mark({_profiledNodes.Count});");
        // Graph outputs that no node writes (a graph input, a constant, a view, or the same value twice).
        var written = new HashSet<string>();
        for (int i = 0; i < outputs.Count; i++)
        {
            var v = outputs[i];
            bool producedHere = _graph.Nodes.Any(n => !_plan.Views.Contains(n) && n.Outputs.Contains(v.Name)) && written.Add(v.Name);
            if (!producedHere) body.Line($"{Tensor(v.Name)}.CopyTo({outputParams[i]});");
        }

        var w = new SourceWriter();
        var cls = _options.ClassName;
        Header(w);
        w.Open($"namespace {_options.Namespace}");
        w.Line("/// <summary>");
        w.Line($"/// Inference for the ONNX model <c>{Literal.Comment(System.IO.Path.GetFileName(_modelFile))}</c>, compiled to C# by EfficientAI.Codegen.");
        w.Line("/// Allocation-free after the first call on a thread; safe to call from several threads at once.");
        w.Line("/// </summary>");
        w.Line($"[{Sys}.CodeDom.Compiler.GeneratedCode(\"EfficientAI.Codegen\", \"{ThisAssembly.Version}\")]");
        w.Open($"public static partial class {cls}");
        w.Line("/// <summary>Bytes of intermediate memory one inference needs (the static arena).</summary>");
        w.Line($"public const int ArenaBytes = {_plan.ArenaBytes};");
        w.Line("/// <summary>Bytes of weights embedded in the assembly.</summary>");
        w.Line($"public const long WeightBytes = {_weights.TotalBytes};");
        w.Line("/// <summary>Multiply-accumulate operations per inference.</summary>");
        w.Line($"public const long MacsPerInference = {macs};");
        for (int i = 0; i < inputs.Count; i++) ShapeConstants(w, inputs[i], _params[inputs[i].Name], "input");
        for (int i = 0; i < outputs.Count; i++) ShapeConstants(w, outputs[i], outputParams[i], "output");
        w.Line();
        if (_plan.ArenaBytes > 0)
        {
            // Only declared when used: an unused field is warning CS0169, an error for TreatWarningsAsErrors builds.
            w.Line($"[{Sys}.ThreadStatic] private static byte[]? t_arena;");
            w.Line();
        }

        var signature = string.Join(", ",
            inputs.Select(v => $"{Sys}.ReadOnlySpan<{DataTypes.CSharp(v.Type)}> {_params[v.Name]}")
            .Concat(outputs.Select((v, i) => $"{Sys}.Span<{DataTypes.CSharp(v.Type)}> {outputParams[i]}")));
        var arguments = string.Join(", ", inputs.Select(v => _params[v.Name]).Concat(outputParams));
        Docs(w, inputs, outputs, outputParams, scratch: false);
        w.Open($"public static void Infer({signature})");
        w.Line(_plan.ArenaBytes == 0 ? $"Infer({arguments}, default);" : $"Infer({arguments}, t_arena ??= new byte[ArenaBytes]);");
        w.Close();
        w.Line();
        Docs(w, inputs, outputs, outputParams, scratch: true);
        w.Open($"public static void Infer({signature}, {Sys}.Span<byte> scratch)");
        foreach (var v in inputs) LengthCheck(w, v, _params[v.Name]);
        for (int i = 0; i < outputs.Count; i++) LengthCheck(w, outputs[i], outputParams[i]);
        w.Line($"if (scratch.Length < ArenaBytes) throw new {Sys}.ArgumentException(\"scratch must hold at least \" + ArenaBytes + \" bytes (ArenaBytes).\", nameof(scratch));");
        w.Raw(body.ToString());
        w.Close();
        foreach (var table in _intTables.OrderBy(t => t.Value, StringComparer.Ordinal))
        {
            w.Line();
            w.Line($"private static {Sys}.ReadOnlySpan<int> {table.Value} => new int[] {{ {table.Key} }};");
        }
        w.Close();
        w.Close();

        var weights = new SourceWriter();
        Header(weights);
        weights.Open($"namespace {_options.Namespace}");
        weights.Open($"partial class {cls}");
        _weights.Write(weights);
        weights.Close();
        weights.Close();

        var producers = _graph.Producers();
        var figures = new ModelFigures(_plan.ArenaBytes, _weights.TotalBytes, macs, _plan.LowerBound, _plan.NoReuse, _graph.Nodes.Count)
        {
            LargestTensors = _plan.Slots.Values.OrderByDescending(s => s.Bytes).ThenBy(s => s.Value, StringComparer.Ordinal).Take(3)
                .Select(s => (s.Value, (long)s.Bytes, producers.TryGetValue(s.Value, out var n) ? n.Display : "?")).ToList(),
            LargestWeights = _weights.Largest(3),
        };
        return (w.ToString(), weights.ToString(), figures);
    }

    private static void Header(SourceWriter w)
    {
        w.Line("// <auto-generated/>");
        w.Line("#nullable enable");
        w.Line();
    }

    private void ShapeConstants(SourceWriter w, Value v, string param, string kind)
    {
        var pascal = Identifiers.Pascal(param);
        var shape = v.RequireShape;
        w.Line($"/// <summary>Element count of {kind} '{Literal.Comment(v.Name)}' ({DataTypes.Name(v.Type)} {Shape.Format(shape)}).</summary>");
        w.Line($"public const int {pascal}Length = {Shape.ElementsInt(shape)};");
        w.Line($"/// <summary>Shape of {kind} '{Literal.Comment(v.Name)}'.</summary>");
        w.Line($"public static {Sys}.ReadOnlySpan<int> {pascal}Shape => new int[] {{ {string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))} }};");
    }

    private static void LengthCheck(SourceWriter w, Value v, string param)
    {
        var pascal = Identifiers.Pascal(param);
        w.Line($"if ({param}.Length != {pascal}Length) throw new {Sys}.ArgumentException(\"{param} must have \" + {pascal}Length + \" elements ({DataTypes.Name(v.Type)} {Shape.Format(v.RequireShape)}), not \" + {param}.Length + \".\", nameof({param}));");
    }

    private void Docs(SourceWriter w, List<Value> inputs, List<Value> outputs, List<string> outputParams, bool scratch)
    {
        w.Line("/// <summary>Runs the model once" + (scratch ? " in caller-provided scratch memory." : " (intermediates live in a per-thread arena allocated on the first call).") + "</summary>");
        foreach (var v in inputs)
            w.Line($"/// <param name=\"{_params[v.Name]}\">Input '{Literal.Comment(v.Name)}': {DataTypes.Name(v.Type)} {Shape.Format(v.RequireShape)}, row-major.</param>");
        for (int i = 0; i < outputs.Count; i++)
            w.Line($"/// <param name=\"{outputParams[i]}\">Output '{Literal.Comment(outputs[i].Name)}': {DataTypes.Name(outputs[i].Type)} {Shape.Format(outputs[i].RequireShape)}, row-major.</param>");
        if (scratch) w.Line("/// <param name=\"scratch\">At least <see cref=\"ArenaBytes\"/> bytes; its contents are overwritten.</param>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A span has the wrong length; thrown before anything is written.</exception>");
    }

    private void DeclareLocals(SourceWriter w, List<Value> outputs, List<string> outputParams)
    {
        var produced = new HashSet<string>(_graph.Nodes.Where(n => !_plan.Views.Contains(n)).SelectMany(n => n.Outputs));
        for (int i = 0; i < outputs.Count; i++)
            if (produced.Contains(outputs[i].Name)) { if (!_locals.ContainsKey(outputs[i].Name)) _locals[outputs[i].Name] = outputParams[i]; }
        foreach (var slot in _plan.Slots.Values.OrderBy(s => s.FirstStep).ThenBy(s => s.Value, StringComparer.Ordinal))
        {
            var v = _graph.Values[slot.Value];
            var local = _names.Unique("t_" + v.Name);
            _locals[v.Name] = local;
            int bytes = checked((int)(Shape.Elements(v.RequireShape) * DataTypes.Size(v.Type)));
            var slice = $"scratch.Slice({slot.Offset}, {bytes})";
            w.Line(v.Type == DataType.UInt8 ? $"var {local} = {slice};" : $"var {local} = {Mm}.Cast<byte, {DataTypes.CSharp(v.Type)}>({slice});");
        }
    }

    /// <summary>Float outputs standing for float16/bfloat16 tensors are rounded to that precision after the op that wrote them.</summary>
    private void RoundToPrecision(SourceWriter w, Node node)
    {
        foreach (var output in node.Outputs)
        {
            if (output.Length == 0 || _graph.Values[output] is not { Type: DataType.Float } v || !DataTypes.IsHalf(v.Precision) || v.Constant is not null) continue;
            w.Line($"global::EfficientAI.Runtime.HalfPrecision.{(v.Precision == DataType.BFloat16 ? "RoundToBFloat16" : "RoundToHalf")}({Tensor(output)});");
        }
    }

    /// <summary>"Conv + Relu 'conv1' [1,3,224,224] -> [1,32,112,112]"</summary>
    private static string Describe(Node node, Graph graph)
    {
        var name = node.Name.Length > 0 ? $" '{Literal.Comment(node.Name)}'" : "";
        var fused = node.Fused.Count > 0 ? " + " + string.Join(" + ", node.Fused) : "";
        string Shapes(IEnumerable<string> values) => string.Join(", ", values.Where(v => v.Length > 0).Select(v => Shape.Format(graph.Values[v].Shape)));
        return $"{node.OpType}{fused}{name} {Shapes(node.Inputs.Take(1))} -> {Shapes(node.Outputs)}";
    }

    // EmitSymbols --------------------------------------------------------------------------------------

    public override string Tensor(string valueName) => Tensor(valueName, forceSource: false);

    private string Tensor(string valueName, bool forceSource)
    {
        _ = forceSource;
        if (_locals.TryGetValue(valueName, out var local)) return local;
        var root = _plan.Root(valueName);
        if (root != valueName) return Tensor(root, false); // views share their root's span (same element count)
        if (_params.TryGetValue(root, out var param)) return param;
        var value = _graph.Values[root];
        if (value.Constant is not null) return _weights.Add(value.Constant, value.Name);
        throw new InvalidOperationException($"no storage for '{valueName}'");
    }

    public override string IntTable(int[] values)
    {
        var key = string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        if (!_intTables.TryGetValue(key, out var name)) _intTables[key] = name = "Table" + _intTables.Count.ToString(CultureInfo.InvariantCulture);
        return name;
    }

    public override string Constant(Ir.Tensor t, string hint) => _weights.Add(t, hint);

    public override string Scratch(Node node)
    {
        if (!_plan.Scratch.TryGetValue(node, out var slot)) throw new InvalidOperationException($"node '{node.Display}' asked for scratch but declared none (ScratchFloats)");
        return $"{Mm}.Cast<byte, float>(scratch.Slice({slot.Offset}, {slot.Bytes}))";
    }
}
