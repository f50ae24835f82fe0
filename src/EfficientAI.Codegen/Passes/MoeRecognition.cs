using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// A mixture-of-experts layer exported by PyTorch in the dense masked form, which runs every expert on every token:
/// <code>
/// p = Softmax(logits); (w, idx) = TopK(p, k); [w = w / ReduceSum(w)]
/// gate = ScatterElements(zeros [T, E], idx, w, axis 1)
/// y = ReduceSum(Unsqueeze(gate, -1) * Concat(Unsqueeze(expert_e(x), 1) for each e), axis 1)
/// expert_e(x) = Gemm(act(Gemm(x, W1_e, b1_e)), W2_e, b2_e), act = Relu or none
/// </code>
/// is rewritten into one com.microsoft::MoE node (its weights stacked as [E, out, in]), which runs only the k chosen
/// experts per token. The router's logits stay as they are. A layer that has the gate (ScatterElements of TopK) but
/// differs elsewhere is left alone with an Info diagnostic (EAI0451) saying what did not match.
/// </summary>
internal static class MoeRecognition
{
    public static Graph Run(Graph graph)
    {
        for (bool changed = true; changed;)
        {
            changed = false;
            var p = new Pattern(graph);
            foreach (var reduce in graph.Nodes.Where(n => n.OpType == "ReduceSum" && n.Domain.Length == 0))
            {
                var outcome = TryMatch(graph, p, reduce);
                if (outcome.Reason is { } reason)
                {
                    var note = $"{reduce.Display}: a mixture-of-experts layer (a top-k gate scattered into [tokens, experts]) was left as dense code because {reason}";
                    if (!graph.Notes.Any(n => n.Message == note)) graph.Notes.Add(("EAI0451", note));
                    continue;
                }
                if (outcome.Match is not { } match) continue;
                Pattern.Replace(graph, match.Nodes, match.Replacement);
                changed = true;
                break;
            }
        }
        return graph;
    }

    private readonly record struct Match(List<Node> Nodes, Node Replacement);

    /// <summary>A match, or a reason why a gated layer was left alone, or neither (not an MoE layer at all).</summary>
    private readonly record struct Outcome(Match? Match, string? Reason)
    {
        public static Outcome None => default;
        public static Outcome Because(string reason) => new(null, reason);
    }

    private static Outcome TryMatch(Graph graph, Pattern p, Node reduce)
    {
        // y = ReduceSum(Mul(Unsqueeze(gate), Concat(...)), axes [1], keepdims 0)
        if (p.Producer(reduce.Inputs[0], "Mul") is not { } mul) return Outcome.None;
        Node? gateUnsqueeze = null, concat = null;
        foreach (var i in mul.Inputs)
        {
            gateUnsqueeze ??= p.Producer(i, "Unsqueeze") is { } u && p.Producer(u.Inputs[0], "ScatterElements") is not null ? u : null;
            concat ??= p.Producer(i, "Concat");
        }
        if (gateUnsqueeze is null) return Outcome.None;
        var scatter = p.Producer(gateUnsqueeze.Inputs[0], "ScatterElements")!;
        // The gate: ScatterElements(zeros, TopK indices, weights)
        if (p.Producer(scatter.Inputs[1], "TopK") is not { } topK || topK.Outputs.Count < 2 || topK.Outputs[1] != scatter.Inputs[1]) return Outcome.None;

        var gateShape = graph.Values[scatter.Outputs[0]].RequireShape;
        if (gateShape.Length != 2) return Outcome.Because($"the gate {Shape.Format(gateShape)} is not [tokens, experts]");
        int tokens = gateShape[0], experts = gateShape[1];
        if (Axis(scatter, "axis", 2) != 1) return Outcome.Because("the gate's ScatterElements does not scatter along the experts axis");
        if (scatter.Attributes.TryGetValue("reduction", out var red) && red.S.ToStringUtf8() != "none") return Outcome.Because("the gate's ScatterElements accumulates (reduction) instead of assigning");
        if (graph.Values[scatter.Inputs[0]].Constant is not { } zeros || zeros.ToFloats().Any(v => v != 0f)) return Outcome.Because("the gate is not scattered into constant zeros");

        // Routing: TopK(Softmax(logits)), weights optionally divided by their sum.
        if (p.Producer(topK.Inputs[0], "Softmax") is not { } softmax) return Outcome.Because("the top k are not taken of a Softmax (the MoE op applies softmax to the router logits itself)");
        if (Axis(softmax, "axis", 2, softmax.Opset >= 13 ? -1 : 1) != 1) return Outcome.Because("the Softmax is not over the experts axis");
        if (Axis(topK, "axis", 2, -1) != 1 || (topK.Attributes.TryGetValue("largest", out var largest) && largest.I != 1)) return Outcome.Because("TopK does not take the largest along the experts axis");
        if (graph.Values[topK.Inputs[1]].Constant is not { Length: 1 } kTensor) return Outcome.Because("TopK's k is not a constant");
        int k = (int)kTensor.ToLongs()[0];
        var routing = new List<Node> { softmax, topK };
        bool normalize = false;
        if (scatter.Inputs[2] != topK.Outputs[0])
        {
            if (p.Producer(scatter.Inputs[2], "Div") is { } div && div.Inputs[0] == topK.Outputs[0] && p.Producer(div.Inputs[1], "ReduceSum") is { } sum
                && sum.Inputs[0] == topK.Outputs[0] && ReducesLastAxisKeepingIt(graph, sum, 2))
            {
                normalize = true;
                routing.Add(sum);
                routing.Add(div);
            }
            else return Outcome.Because("the gate's weights are neither TopK's values nor those values divided by their sum");
        }

        // Combination: the gate against the stacked expert outputs, summed over experts.
        if (concat is null) return Outcome.Because("the gate does not multiply a Concat of the expert outputs");
        if (!IsAxes(graph, gateUnsqueeze, 3, 2)) return Outcome.Because("the gate is not unsqueezed on its last axis");
        if (Axis(concat, "axis", 3) != 1 || concat.Inputs.Count != experts) return Outcome.Because($"the expert outputs are not {experts} tensors stacked on axis 1");
        if (!IsAxes(graph, reduce, 3, 1) || (reduce.Attributes.TryGetValue("keepdims", out var keep) ? keep.I : 1) != 0)
            return Outcome.Because("the weighted outputs are not summed over the experts axis (axes [1], keepdims 0)");

        // Experts: Unsqueeze(Gemm(act(Gemm(x, W1, b1)), W2, b2), axes [1]).
        string? x = null, activation = null;
        int hidden = -1, inter = -1;
        var fc1 = new List<float[]>();
        var fc2 = new List<float[]>();
        var b1 = new List<float[]>();
        var b2 = new List<float[]>();
        var expertNodes = new List<Node>();
        foreach (var stacked in concat.Inputs)
        {
            int e = fc1.Count;
            if (p.Producer(stacked, "Unsqueeze") is not { } unsqueeze || !IsAxes(graph, unsqueeze, 3, 1)) return Outcome.Because($"expert {e}'s output is not unsqueezed on axis 1");
            if (p.Producer(unsqueeze.Inputs[0], "Gemm") is not { } second) return Outcome.Because($"expert {e} does not end in a Gemm");
            var act = p.Producer(second.Inputs[0], "Relu");
            var first = p.Producer(act is null ? second.Inputs[0] : act.Inputs[0], "Gemm");
            if (first is null) return Outcome.Because($"expert {e} is not Gemm -> Relu -> Gemm or Gemm -> Gemm");
            string a = act is null ? "identity" : "relu";
            if (activation is not null && a != activation) return Outcome.Because("the experts use different activations");
            activation = a;
            x ??= first.Inputs[0];
            if (first.Inputs[0] != x) return Outcome.Because($"expert {e} reads another input than expert 0");
            if (Linear(graph, first) is not { } l1) return Outcome.Because($"expert {e}'s first Gemm has weights computed at run time, alpha/beta other than 1 or a transposed input");
            if (Linear(graph, second) is not { } l2) return Outcome.Because($"expert {e}'s second Gemm has weights computed at run time, alpha/beta other than 1 or a transposed input");
            if (hidden < 0) (hidden, inter) = (l1.In, l1.Out);
            if (l1.In != hidden || l1.Out != inter || l2.In != inter || l2.Out != hidden) return Outcome.Because($"expert {e}'s layers are not [{hidden} -> {inter} -> {hidden}] like expert 0's");
            fc1.Add(l1.Weights); b1.Add(l1.Bias); fc2.Add(l2.Weights); b2.Add(l2.Bias);
            expertNodes.AddRange(act is null ? new[] { first, second, unsqueeze } : new[] { first, act, second, unsqueeze });
        }
        if (k < 1 || k > experts) return Outcome.Because($"TopK's k={k} is not between 1 and the {experts} experts");
        if (!Shape.Equal(graph.Values[x!].RequireShape, new[] { tokens, hidden }) || graph.Values[x!].Type != DataType.Float)
            return Outcome.Because($"the experts' input is not float [{tokens}, {hidden}]");

        var nodes = routing.Concat(new[] { scatter, gateUnsqueeze }).Concat(expertNodes).Concat(new[] { concat, mul, reduce }).ToList();
        if (!p.Replaceable(nodes, reduce.Outputs[0])) return Outcome.Because("a value inside the layer (router probabilities, an expert's output) is also read outside it");

        var moe = new Node("MoE", "com.microsoft", reduce.Name.Length > 0 ? reduce.Name : reduce.Outputs[0], 1) { Guards = reduce.Guards };
        string name = reduce.Outputs[0];
        moe.Inputs.Add(x!);
        moe.Inputs.Add(softmax.Inputs[0]);
        moe.Inputs.Add(Stack(graph, name + "_fc1_experts_weights", fc1, new[] { experts, inter, hidden }));
        moe.Inputs.Add(Stack(graph, name + "_fc1_experts_bias", b1, new[] { experts, inter }));
        moe.Inputs.Add(Stack(graph, name + "_fc2_experts_weights", fc2, new[] { experts, hidden, inter }));
        moe.Inputs.Add(Stack(graph, name + "_fc2_experts_bias", b2, new[] { experts, hidden }));
        moe.Outputs.Add(name);
        moe.Attributes["k"] = new AttributeProto { Name = "k", Type = AttributeProto.Types.AttributeType.Int, I = k };
        moe.Attributes["activation_type"] = new AttributeProto { Name = "activation_type", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8(activation!) };
        moe.Attributes["normalize_routing_weights"] = new AttributeProto { Name = "normalize_routing_weights", Type = AttributeProto.Types.AttributeType.Int, I = normalize ? 1 : 0 };
        moe.Fused.Add(string.Format(CultureInfo.InvariantCulture, "dense MoE export ({0} nodes, {1} experts)", nodes.Count, experts));
        return new Outcome(new Match(nodes, moe), null);
    }

    /// <summary>A Gemm y = x W^T + b with constant W ([out, in], or [in, out] without transB) and b, alpha = beta = 1: its weights as [out, in].</summary>
    private static (int In, int Out, float[] Weights, float[] Bias)? Linear(Graph graph, Node gemm)
    {
        if ((gemm.Attributes.TryGetValue("transA", out var ta) ? ta.I : 0) != 0) return null;
        if ((gemm.Attributes.TryGetValue("alpha", out var alpha) ? alpha.F : 1f) != 1f) return null;
        if (graph.Values[gemm.Inputs[1]].Constant is not { Type: DataType.Float, Shape.Length: 2 } w) return null;
        bool transB = (gemm.Attributes.TryGetValue("transB", out var tb) ? tb.I : 0) != 0;
        int outputs = transB ? w.Shape[0] : w.Shape[1], inputs = transB ? w.Shape[1] : w.Shape[0];
        var weights = w.ToFloats();
        if (!transB)
        {
            var t = new float[weights.Length];
            for (int i = 0; i < inputs; i++)
                for (int o = 0; o < outputs; o++) t[o * inputs + i] = weights[i * outputs + o];
            weights = t;
        }
        var bias = new float[outputs];
        if (gemm.HasInput(2))
        {
            if ((gemm.Attributes.TryGetValue("beta", out var beta) ? beta.F : 1f) != 1f) return null;
            if (graph.Values[gemm.Inputs[2]].Constant is not { Type: DataType.Float } c) return null;
            var row = GraphEdit.AlongAxis(c, new[] { 1, outputs }, 1);
            if (row is null || (c.Shape.Length == 2 && c.Shape[0] != 1)) return null;
            bias = row;
        }
        return (inputs, outputs, weights, bias);
    }

    private static string Stack(Graph graph, string hint, List<float[]> parts, int[] shape)
    {
        var all = new float[Shape.ElementsInt(shape)];
        int at = 0;
        foreach (var part in parts)
        {
            Array.Copy(part, 0, all, at, part.Length);
            at += part.Length;
        }
        return GraphEdit.AddConstant(graph, hint, Tensor.FromFloats(shape, all));
    }

    /// <summary>An axis attribute normalized for the rank (fallback when absent).</summary>
    private static int Axis(Node node, string name, int rank, int fallback = 0)
    {
        long a = node.Attributes.TryGetValue(name, out var attr) ? attr.I : fallback;
        return (int)(a < 0 ? a + rank : a);
    }

    /// <summary>True when an Unsqueeze/ReduceSum has exactly one axis, <paramref name="axis"/> of an output/input of rank <paramref name="rank"/>.</summary>
    private static bool IsAxes(Graph graph, Node node, int rank, int axis)
    {
        long[]? axes = node.Attributes.TryGetValue("axes", out var a) ? a.Ints.ToArray()
            : node.HasInput(1) ? graph.Values[node.Inputs[1]].Constant?.ToLongs() : null;
        return axes is { Length: 1 } && (axes[0] < 0 ? axes[0] + rank : axes[0]) == axis;
    }

    private static bool ReducesLastAxisKeepingIt(Graph graph, Node sum, int rank) =>
        IsAxes(graph, sum, rank, rank - 1) && (sum.Attributes.TryGetValue("keepdims", out var keep) ? keep.I : 1) == 1;
}
