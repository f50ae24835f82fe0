using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// LayerNormalization written out in primitive ops, as exporters emit it before opset 17:
/// d = x - ReduceMean(x); y = d / Sqrt(ReduceMean(d^2) + eps) [* gamma] [+ beta], both means over the same trailing
/// axes with keepdims. Replaced by one LayerNormalization node (one fused kernel: two passes over each row).
/// </summary>
internal static class LayerNormalizationRecognition
{
    public static Graph Run(Graph graph) =>
        Pattern.RewriteAll(graph, n => n.OpType == "Div", TryMatch);

    private static (List<Node> Nodes, Node Replacement)? TryMatch(Graph graph, Pattern p, Node div)
    {
        // d / Sqrt(ReduceMean(Pow(d, 2)) + eps), d = Sub(x, ReduceMean(x))
        var sub = p.Producer(div.Inputs[0], "Sub");
        var sqrt = p.Producer(div.Inputs[1], "Sqrt");
        if (sub is null || sqrt is null) return null;
        var mean = p.Producer(sub.Inputs[1], "ReduceMean");
        var x = sub.Inputs[0];
        if (mean is null || mean.Inputs[0] != x) return null;
        var addEps = p.Producer(sqrt.Inputs[0], "Add");
        if (addEps is null) return null;
        var variance = p.Producer(addEps.Inputs[0], "ReduceMean") ?? p.Producer(addEps.Inputs[1], "ReduceMean");
        if (variance is null) return null;
        var eps = p.Scalar(Pattern.Other(addEps, variance.Outputs[0]) ?? "");
        var square = p.Producer(variance.Inputs[0], "Pow") ?? p.Producer(variance.Inputs[0], "Mul");
        if (eps is null || eps < 0 || square is null) return null;
        bool squares = square.OpType == "Pow" ? square.Inputs[0] == sub.Outputs[0] && p.IsScalar(square.Inputs[1], 2)
            : square.Inputs[0] == sub.Outputs[0] && square.Inputs[1] == sub.Outputs[0];
        if (!squares) return null;

        var xValue = graph.Values[x];
        if (xValue.Type != DataType.Float) return null;
        int rank = xValue.RequireShape.Length;
        var axes = TrailingAxes(graph, mean, rank);
        if (axes is null || !axes.SequenceEqual(TrailingAxes(graph, variance, rank) ?? new int[0])) return null;
        int axis = axes[0];
        var normalized = xValue.RequireShape.Skip(axis).ToArray();
        int n = Shape.ElementsInt(normalized);

        var nodes = new List<Node> { mean, sub, square, variance, addEps, sqrt, div };
        string output = div.Outputs[0];
        string? scale = null, bias = null;
        // Optional affine tail: Mul by a constant gamma, then Add of a constant beta, each fitting the normalized axes.
        var readers = p.Readers(output);
        if (readers.Count == 1 && readers[0] is { OpType: "Mul", Domain: "" } mul && Affine(graph, Pattern.Other(mul, output), normalized) is { } g)
        {
            nodes.Add(mul);
            scale = g;
            output = mul.Outputs[0];
            readers = p.Readers(output);
        }
        if (readers.Count == 1 && readers[0] is { OpType: "Add", Domain: "" } add && Affine(graph, Pattern.Other(add, output), normalized) is { } b)
        {
            nodes.Add(add);
            bias = b;
            output = add.Outputs[0];
        }
        if (!Shape.Equal(graph.Values[output].RequireShape, xValue.RequireShape) || !p.Replaceable(nodes, output)) return null;

        scale ??= GraphEdit.AddConstant(graph, output + "_scale", Tensor.FromFloats(new[] { n }, Enumerable.Repeat(1f, n).ToArray()));
        var ln = new Node("LayerNormalization", "", div.Name.Length > 0 ? div.Name : output, div.Opset) { Guards = div.Guards };
        ln.Inputs.AddRange(bias is null ? new[] { x, scale } : new[] { x, scale, bias });
        ln.Outputs.Add(output);
        ln.Attributes["axis"] = new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = axis };
        ln.Attributes["epsilon"] = new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = (float)eps.Value };
        ln.Fused.AddRange(nodes.Select(m => m.OpType));
        return (nodes, ln);
    }

    /// <summary>The sorted, non-negative axes of a keepdims ReduceMean when they are the trailing axes (axis..rank-1); null otherwise.</summary>
    private static int[]? TrailingAxes(Graph graph, Node reduce, int rank)
    {
        if (reduce.Attributes.TryGetValue("keepdims", out var k) && k.I == 0) return null;
        long[]? raw = reduce.Attributes.TryGetValue("axes", out var a) ? a.Ints.ToArray()
            : reduce.HasInput(1) ? graph.Values[reduce.Inputs[1]].Constant?.ToLongs() : null;
        if (raw is null || raw.Length == 0) return null;
        var axes = raw.Select(v => (int)(v < 0 ? v + rank : v)).OrderBy(v => v).ToArray();
        for (int i = 0; i < axes.Length; i++) if (axes[i] != rank - axes.Length + i) return null;
        return axes;
    }

    /// <summary>The constant's name when it is a float constant that broadcasts to the normalized axes without enlarging them.</summary>
    private static string? Affine(Graph graph, string? name, int[] normalized)
    {
        if (name is null || graph.Values[name].Constant is not { Type: DataType.Float } c) return null;
        return c.Shape.Length <= normalized.Length && Shape.Equal(Shape.Broadcast(normalized, c.Shape), normalized) ? name : null;
    }
}
