using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// Gelu written out in primitive ops, as exporters emit it before opset 20, replaced by one Gelu node:
/// the erf form x * 0.5 * (1 + Erf(x / sqrt(2))) (or Erf(x * (1/sqrt(2)))), and the tanh form
/// x * 0.5 * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3))) (x^3 as Pow(x, 3) or x * (x * x)), with the three products in any grouping.
/// ActivationFusion may then make it a MatMul/Gemm epilogue.
/// </summary>
internal static class GeluRecognition
{
    private const double Sqrt2 = 1.4142135623730951, SqrtTwoOverPi = 0.7978845608028654;

    public static Graph Run(Graph graph) =>
        Pattern.RewriteAll(graph, n => n.OpType is "Erf" or "Tanh", (g, p, core) => TryMatch(g, p, core));

    /// <summary>
    /// A Gelu chain whose result is <paramref name="output"/>: its nodes, its input and whether it is the tanh form. For
    /// MoeRecognition's experts, also before shape inference (<paramref name="shapesKnown"/> false: no type or shape checks;
    /// the caller checks the function otherwise).
    /// </summary>
    internal static (List<Node> Nodes, string X, bool Tanh)? MatchEndingAt(Graph graph, Pattern p, string output, bool shapesKnown)
    {
        // The Erf/Tanh sits at most three nodes above the product (Mul -> Mul -> Add -> core).
        var frontier = new List<string> { output };
        for (int depth = 0; depth < 4; depth++)
        {
            var next = new List<string>();
            foreach (var v in frontier)
            {
                if (p.AnyProducer(v) is not { Domain: "" } n) continue;
                if (n.OpType is "Erf" or "Tanh" && TryMatch(graph, p, n, shapesKnown) is { } m && m.Replacement.Outputs[0] == output)
                    return (m.Nodes, m.Replacement.Inputs[0], n.OpType == "Tanh");
                if (n.OpType is "Mul" or "Add") next.AddRange(n.Inputs);
            }
            frontier = next;
        }
        return null;
    }

    private static (List<Node> Nodes, Node Replacement)? TryMatch(Graph graph, Pattern p, Node core, bool shapesKnown = true)
    {
        var nodes = new List<Node> { core };
        string? x = core.OpType == "Erf" ? ErfArgument(p, core.Inputs[0], nodes) : TanhArgument(p, core.Inputs[0], nodes);
        if (x is null || (shapesKnown && graph.Values[x].Type != DataType.Float)) return null;
        // 1 + core
        var readers = p.Readers(core.Outputs[0]);
        if (readers.Count != 1 || readers[0] is not { OpType: "Add", Domain: "" } onePlus || !p.IsScalar(Pattern.Other(onePlus, core.Outputs[0]) ?? "", 1)) return null;
        nodes.Add(onePlus);
        var output = Product(p, x, onePlus.Outputs[0], nodes);
        if (output is null || (shapesKnown && !Shape.Equal(graph.Values[output].RequireShape, graph.Values[x].RequireShape)) || !p.Replaceable(nodes, output)) return null;

        var last = nodes.Last();
        var gelu = new Node("Gelu", "", last.Name.Length > 0 ? last.Name : output, last.Opset) { Guards = core.Guards };
        gelu.Inputs.Add(x);
        gelu.Outputs.Add(output);
        if (core.OpType == "Tanh")
            gelu.Attributes["approximate"] = new AttributeProto { Name = "approximate", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("tanh") };
        gelu.Fused.AddRange(nodes.Select(n => n.OpType));
        return (nodes, gelu);
    }

    /// <summary>x / sqrt(2) or x * (1/sqrt(2)): returns x.</summary>
    private static string? ErfArgument(Pattern p, string value, List<Node> nodes)
    {
        if (p.Producer(value, "Div") is { } div && p.IsScalar(div.Inputs[1], Sqrt2)) { nodes.Add(div); return div.Inputs[0]; }
        if (p.Producer(value, "Mul") is { } mul)
        {
            for (int side = 0; side < 2; side++)
                if (p.IsScalar(mul.Inputs[1 - side], 1 / Sqrt2)) { nodes.Add(mul); return mul.Inputs[side]; }
        }
        return null;
    }

    /// <summary>sqrt(2/pi) * (x + 0.044715 * Pow(x, 3)): returns x.</summary>
    private static string? TanhArgument(Pattern p, string value, List<Node> nodes)
    {
        if (p.Producer(value, "Mul") is not { } scaled) return null;
        string? sum = p.IsScalar(scaled.Inputs[1], SqrtTwoOverPi) ? scaled.Inputs[0] : p.IsScalar(scaled.Inputs[0], SqrtTwoOverPi) ? scaled.Inputs[1] : null;
        if (sum is null || p.Producer(sum, "Add") is not { } add) return null;
        for (int side = 0; side < 2; side++)
        {
            string x = add.Inputs[side];
            if (p.Producer(add.Inputs[1 - side], "Mul") is not { } cubic) continue;
            string? cube = p.IsScalar(cubic.Inputs[1], 0.044715) ? cubic.Inputs[0] : p.IsScalar(cubic.Inputs[0], 0.044715) ? cubic.Inputs[1] : null;
            if (cube is null) continue;
            if (p.Producer(cube, "Pow") is { } pow && pow.Inputs[0] == x && p.IsScalar(pow.Inputs[1], 3))
            {
                nodes.AddRange(new[] { scaled, add, cubic, pow });
                return x;
            }
            // x * (x * x), as torch exports GELU(approximate="tanh").
            if (p.Producer(cube, "Mul") is { } outer && outer.Inputs.Contains(x) && Pattern.Other(outer, x) is { } sq
                && p.Producer(sq, "Mul") is { } square && square.Inputs.Count == 2 && square.Inputs[0] == x && square.Inputs[1] == x)
            {
                nodes.AddRange(new[] { scaled, add, cubic, outer, square });
                return x;
            }
        }
        return null;
    }

    /// <summary>x * 0.5 * onePlus in any grouping: (x * onePlus) * 0.5, x * (onePlus * 0.5), (x * 0.5) * onePlus. Returns the product's value.</summary>
    private static string? Product(Pattern p, string x, string onePlus, List<Node> nodes)
    {
        var readers = p.Readers(onePlus);
        if (readers.Count != 1 || readers[0] is not { OpType: "Mul", Domain: "" } first) return null;
        var other = Pattern.Other(first, onePlus);
        if (other is null) return null;
        if (other == x || p.IsScalar(other, 0.5))
        {
            // (x * onePlus) * 0.5 or (onePlus * 0.5) * x
            var next = p.Readers(first.Outputs[0]);
            if (next.Count != 1 || next[0] is not { OpType: "Mul", Domain: "" } second) return null;
            var last = Pattern.Other(second, first.Outputs[0]);
            if (last is null || !(other == x ? p.IsScalar(last, 0.5) : last == x)) return null;
            nodes.AddRange(new[] { first, second });
            return second.Outputs[0];
        }
        // (x * 0.5) * onePlus
        if (p.Producer(other, "Mul") is { } half && Array.IndexOf(half.Inputs.ToArray(), x) is var xi && xi >= 0 && p.IsScalar(half.Inputs[1 - xi], 0.5))
        {
            nodes.AddRange(new[] { half, first });
            return first.Outputs[0];
        }
        return null;
    }
}
