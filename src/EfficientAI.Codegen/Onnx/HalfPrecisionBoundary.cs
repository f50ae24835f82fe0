using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Onnx;

/// <summary>
/// Float16 and bfloat16 graph inputs and outputs keep their type at the boundary (System.Half spans; bfloat16 as ushort
/// bit patterns) and are float inside: each such input feeds a WidenHalf node whose float output takes the input's
/// name inside the graph, and each such output is written by a NarrowHalf node from the float value the model computes.
/// </summary>
internal static class HalfPrecisionBoundary
{
    /// <summary>Suffix of the internal float value behind a float16/bfloat16 graph input or output.</summary>
    private const string FloatSuffix = "\u00B7float";

    public static void Insert(Graph g, IEnumerable<(string Name, DataType Declared)> declaredOutputs)
    {
        var front = new List<Node>();
        foreach (var name in g.Inputs)
        {
            var v = g.Value(name);
            if (!DataTypes.IsHalf(v.Type)) continue;
            var inner = name + FloatSuffix;
            Rename(g.Nodes, name, inner);
            var node = new Node(WidenHalfOp.Type, WidenHalfOp.InternalDomain, "", 1);
            node.Inputs.Add(name);
            node.Outputs.Add(inner);
            front.Add(node);
        }
        g.Nodes.InsertRange(0, front);

        foreach (var (name, declared) in declaredOutputs.Distinct())
        {
            if (!DataTypes.IsHalf(declared)) continue;
            var inner = name + FloatSuffix;
            // A graph input passed straight through is already the boundary type: it is copied as it is.
            if (g.Inputs.Contains(name) && DataTypes.IsHalf(g.Value(name).Type)) continue;
            if (!g.Nodes.Any(n => n.Outputs.Contains(name)))
            {
                // An initializer or Constant given as an output: the float constant moves to the inner name.
                var source = g.Value(name);
                if (source.Constant is null) continue; // produced nowhere: reported as a malformed model later
                var copy = g.Value(inner);
                (copy.Constant, copy.Type, copy.Shape, copy.Precision) = (source.Constant, source.Type, source.Shape, source.Precision);
                (source.Constant, source.Shape) = (null, null);
            }
            Rename(g.Nodes, name, inner);
            foreach (var n in g.Nodes) for (int i = 0; i < n.Outputs.Count; i++) if (n.Outputs[i] == name) n.Outputs[i] = inner;
            var node = new Node(NarrowHalfOp.Type, WidenHalfOp.InternalDomain, "", 1);
            node.Inputs.Add(inner);
            node.Outputs.Add(name);
            node.Attributes["to"] = new Proto.AttributeProto { Name = "to", Type = Proto.AttributeProto.Types.AttributeType.Int, I = (long)declared };
            g.Nodes.Add(node);
        }
    }

    /// <summary>Every read of <paramref name="from"/> (subgraphs included) reads <paramref name="to"/> instead.</summary>
    private static void Rename(List<Node> nodes, string from, string to)
    {
        foreach (var n in nodes)
        {
            for (int i = 0; i < n.Inputs.Count; i++) if (n.Inputs[i] == from) n.Inputs[i] = to;
            foreach (var sub in n.Subgraphs.Values)
            {
                Rename(sub.Nodes, from, to);
                for (int i = 0; i < sub.Outputs.Count; i++) if (sub.Outputs[i] == from) sub.Outputs[i] = to;
            }
        }
    }

    /// <summary>A value rounded to a float16/bfloat16 precision (nearest, ties to even); other precisions leave it as it is.</summary>
    public static double Round(double v, DataType precision) => precision switch
    {
        DataType.Float16 => CastOp.RoundToPrecision(v, 10, -14, 65520),
        DataType.BFloat16 => CastOp.RoundToPrecision((float)v, 7, -126, 3.3961775292304957e38),
        _ => v,
    };
}
