using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// HardSwish written out, as exporters emit it before opset 14 (MobileNetV3: PaddleOCR, TensorFlow), replaced by one
/// HardSwish node: x * Clip(x + 3, 0, 6) / 6 with the division as Div(6) or Mul(1/6) before or after the product, and
/// x * HardSigmoid(x) with alpha 1/6, beta 0.5. ActivationFusion may then make it a Conv/Gemm epilogue: four passes
/// over the tensor become none.
/// </summary>
internal static class HardSwishRecognition
{
    public static Graph Run(Graph graph) =>
        Pattern.RewriteAll(graph, n => n.OpType is "Clip" or "HardSigmoid", TryMatch);

    private static (List<Node> Nodes, Node Replacement)? TryMatch(Graph graph, Pattern p, Node core)
    {
        var nodes = new List<Node>();
        string? x;
        if (core.OpType == "HardSigmoid")
        {
            float alpha = core.Attributes.TryGetValue("alpha", out var a) ? a.F : 0.2f, beta = core.Attributes.TryGetValue("beta", out var b) ? b.F : 0.5f;
            if (System.Math.Abs(alpha - 1f / 6f) > 1e-6f || beta != 0.5f) return null;
            x = core.Inputs[0];
        }
        else
        {
            if (!IsZeroToSix(graph, p, core) || p.Producer(core.Inputs[0], "Add") is not { } add) return null;
            x = p.IsScalar(add.Inputs[1], 3) ? add.Inputs[0] : p.IsScalar(add.Inputs[0], 3) ? add.Inputs[1] : null;
            if (x is null) return null;
            nodes.Add(add);
        }
        nodes.Add(core);
        if (graph.Values[x].Type != DataType.Float) return null;
        var gate = core.Outputs[0];
        // The product with x and the division by 6, in either order.
        var readers = p.Readers(gate);
        if (readers.Count != 1) return null;
        string output;
        if (core.OpType == "Clip" && IsSixth(p, readers[0], gate) is { } scaled)
        {
            nodes.Add(readers[0]);
            var next = p.Readers(scaled);
            if (next.Count != 1 || next[0] is not { OpType: "Mul", Domain: "" } mul || Pattern.Other(mul, scaled) != x) return null;
            nodes.Add(mul);
            output = mul.Outputs[0];
        }
        else
        {
            if (readers[0] is not { OpType: "Mul", Domain: "" } mul || Pattern.Other(mul, gate) != x) return null;
            nodes.Add(mul);
            output = mul.Outputs[0];
            if (core.OpType == "Clip")
            {
                var next = p.Readers(output);
                if (next.Count != 1 || IsSixth(p, next[0], output) is not { } divided) return null;
                nodes.Add(next[0]);
                output = divided;
            }
        }
        if (!Shape.Equal(graph.Values[output].RequireShape, graph.Values[x].RequireShape) || !p.Replaceable(nodes, output)) return null;
        var last = nodes.Last();
        var hardSwish = new Node("HardSwish", "", last.Name.Length > 0 ? last.Name : output, System.Math.Max(last.Opset, 14)) { Guards = core.Guards };
        hardSwish.Inputs.Add(x);
        hardSwish.Outputs.Add(output);
        hardSwish.Fused.AddRange(nodes.Select(n => n.OpType));
        return (nodes, hardSwish);
    }

    /// <summary>Clip to [0, 6]: bounds as attributes (before opset 11) or constant inputs.</summary>
    private static bool IsZeroToSix(Graph graph, Pattern p, Node clip)
    {
        if (clip.Opset < 11)
            return clip.Attributes.TryGetValue("min", out var min) && min.F == 0f && clip.Attributes.TryGetValue("max", out var max) && max.F == 6f;
        return clip.Inputs.Count == 3 && p.Scalar(clip.Inputs[1]) == 0 && p.Scalar(clip.Inputs[2]) == 6;
    }

    /// <summary>The output of <paramref name="node"/> when it computes <paramref name="value"/> / 6 (Div by 6 or Mul by 1/6); null otherwise.</summary>
    private static string? IsSixth(Pattern p, Node node, string value)
    {
        if (node.Domain.Length != 0) return null;
        if (node.OpType == "Div" && node.Inputs[0] == value && p.IsScalar(node.Inputs[1], 6)) return node.Outputs[0];
        if (node.OpType == "Mul" && Pattern.Other(node, value) is { } other && p.IsScalar(other, 1.0 / 6)) return node.Outputs[0];
        return null;
    }
}
