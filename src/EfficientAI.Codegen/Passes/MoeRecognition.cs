using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using EfficientAI.Codegen.Diagnostics;
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
/// <para>
/// <see cref="RunSparse"/> handles the sparse traced form, before shape inference (its NonZero shapes depend on the
/// data): a chain y = Add(... Add(zeros, ScatterElements(.., updates_0) ...), updates_e) where each update is an
/// expert Gemm(act(Gemm(Gather(x, tokens)))) times its routing weight and its tokens come from Equal(TopK indices, e)
/// or, in the Mixtral-style export, from Gather(OneHot(TopK indices) transposed, e).
/// The index plumbing between them varies between exporter versions, so instead of matching it node by node the pass
/// evaluates the original layer on random probe inputs and rewrites only when the MoE node gives the same result.
/// </para>
/// </summary>
internal static class MoeRecognition
{
    public static Graph Run(Graph graph)
    {
        for (bool changed = true; changed;)
        {
            changed = false;
            var p = new Pattern(graph);
            foreach (var reduce in graph.Nodes.Where(n => n.OpType is "ReduceSum" or "Einsum" && n.Domain.Length == 0))
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
        // y = ReduceSum(Mul(Unsqueeze(gate), Concat(...)), axes [1], keepdims 0), or Einsum("te,teh->th", gate, Concat(...)).
        Node? mul = null, gateUnsqueeze = null, concat = null, scatter;
        if (reduce.OpType == "Einsum")
        {
            if (reduce.Inputs.Count != 2 || p.Producer(reduce.Inputs[0], "ScatterElements") is not { } s0) return Outcome.None;
            scatter = s0;
            concat = p.Producer(reduce.Inputs[1], "Concat");
        }
        else
        {
            if (p.Producer(reduce.Inputs[0], "Mul") is not { } m) return Outcome.None;
            mul = m;
            foreach (var i in mul.Inputs)
            {
                gateUnsqueeze ??= p.Producer(i, "Unsqueeze") is { } u && p.Producer(u.Inputs[0], "ScatterElements") is not null ? u : null;
                concat ??= p.Producer(i, "Concat");
            }
            if (gateUnsqueeze is null) return Outcome.None;
            scatter = p.Producer(gateUnsqueeze.Inputs[0], "ScatterElements")!;
        }
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
        if (!topK.HasInput(1) || graph.Values[topK.Inputs[1]].Constant is not { Length: 1 } kTensor) return Outcome.Because("TopK's k is not a constant input (TopK before opset 10)");
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
        if (Axis(concat, "axis", 3) != 1 || concat.Inputs.Count != experts) return Outcome.Because($"the expert outputs are not {experts} tensors stacked on axis 1");
        if (reduce.OpType == "Einsum")
        {
            if (!IsGateEquation(reduce.Attributes.TryGetValue("equation", out var eq) ? eq.S.ToStringUtf8() : ""))
                return Outcome.Because("the Einsum does not sum gate [t, e] times experts [t, e, h] over e (te,teh->th)");
        }
        else
        {
            if (!IsAxes(graph, gateUnsqueeze!, 3, 2)) return Outcome.Because("the gate is not unsqueezed on its last axis");
            if (!IsAxes(graph, reduce, 3, 1) || (reduce.Attributes.TryGetValue("keepdims", out var keep) ? keep.I : 1) != 0)
                return Outcome.Because("the weighted outputs are not summed over the experts axis (axes [1], keepdims 0)");
        }

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
            if (MatchExpert(graph, p, unsqueeze.Inputs[0], shapesKnown: true, out var why) is not { } ex) return Outcome.Because($"expert {e} {why}");
            if (activation is not null && ex.Activation != activation) return Outcome.Because("the experts use different activations");
            activation = ex.Activation;
            x ??= ex.Input;
            if (ex.Input != x) return Outcome.Because($"expert {e} reads another input than expert 0");
            var (l1, l2) = (ex.First, ex.Second);
            if (hidden < 0) (hidden, inter) = (l1.In, l2.In);
            if (l1.In != hidden || l1.Out != Fc1Width(activation, inter) || l2.In != inter || l2.Out != hidden) return Outcome.Because($"expert {e}'s layers are not [{hidden} -> {inter} -> {hidden}] like expert 0's");
            fc1.Add(l1.Weights); b1.Add(l1.Bias); fc2.Add(l2.Weights); b2.Add(l2.Bias);
            expertNodes.AddRange(ex.Nodes);
            expertNodes.Add(unsqueeze);
        }
        if (k < 1 || k > experts) return Outcome.Because($"TopK's k={k} is not between 1 and the {experts} experts");
        if (!Shape.Equal(graph.Values[x!].RequireShape, new[] { tokens, hidden }) || graph.Values[x!].Type != DataType.Float)
            return Outcome.Because($"the experts' input is not float [{tokens}, {hidden}]");

        var nodes = routing.Concat(new[] { scatter, gateUnsqueeze }).Concat(expertNodes).Concat(new[] { concat, mul, reduce })
            .Where(n => n is not null).Select(n => n!).ToList();
        if (!p.Replaceable(nodes, reduce.Outputs[0])) return Outcome.Because("a value inside the layer (router probabilities, an expert's output) is also read outside it");

        var moe = new Node("MoE", "com.microsoft", reduce.Name.Length > 0 ? reduce.Name : reduce.Outputs[0], 1) { Guards = reduce.Guards };
        string name = reduce.Outputs[0];
        moe.Inputs.Add(x!);
        moe.Inputs.Add(softmax.Inputs[0]);
        moe.Inputs.Add(Stack(graph, name + "_fc1_experts_weights", fc1, new[] { experts, Fc1Width(activation!, inter), hidden }));
        moe.Inputs.Add(Stack(graph, name + "_fc1_experts_bias", b1, new[] { experts, Fc1Width(activation!, inter) }));
        moe.Inputs.Add(Stack(graph, name + "_fc2_experts_weights", fc2, new[] { experts, hidden, inter }));
        moe.Inputs.Add(Stack(graph, name + "_fc2_experts_bias", b2, new[] { experts, hidden }));
        moe.Outputs.Add(name);
        moe.Attributes["k"] = new AttributeProto { Name = "k", Type = AttributeProto.Types.AttributeType.Int, I = k };
        moe.Attributes["activation_type"] = new AttributeProto { Name = "activation_type", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8(activation!) };
        moe.Attributes["normalize_routing_weights"] = new AttributeProto { Name = "normalize_routing_weights", Type = AttributeProto.Types.AttributeType.Int, I = normalize ? 1 : 0 };
        if (activation == "swiglu") moe.Attributes["swiglu_fusion"] = new AttributeProto { Name = "swiglu_fusion", Type = AttributeProto.Types.AttributeType.Int, I = 1 };
        moe.Fused.Add(string.Format(CultureInfo.InvariantCulture, "dense MoE export ({0} nodes, {1} experts)", nodes.Count, experts));
        return new Outcome(new Match(nodes, moe), null);
    }

    /// <summary>An expert read back from its output: linear -> activation -> linear, the weights as [out, in].</summary>
    private sealed record Expert(string Input, string Activation, (int In, int Out, float[] Weights, float[] Bias) First,
        (int In, int Out, float[] Weights, float[] Bias) Second, List<Node> Nodes);

    /// <summary>
    /// The expert whose output is <paramref name="output"/>: Gemm, or MatMul (-> Add bias), then an activation (Relu; GELU as
    /// the opset-20 Gelu op or written out with Erf or Tanh; SiLU as x * Sigmoid(x); or none), then another such layer.
    /// Null with <paramref name="why"/> saying what differs.
    /// </summary>
    private static Expert? MatchExpert(Graph graph, Pattern p, string output, bool shapesKnown, out string why)
    {
        why = "";
        var nodes = new List<Node>();
        if (LinearAt(graph, p, output, nodes, out why) is not { } second) return null;
        if (GatedAt(graph, p, second.Input, nodes, shapesKnown) is { } gated)
        {
            nodes.Reverse();
            return new Expert(gated.Input, "swiglu", gated.Layer, second.Layer, nodes);
        }
        var (activation, h) = ActivationAt(graph, p, second.Input, nodes, shapesKnown);
        if (LinearAt(graph, p, h, nodes, out why) is not { } first)
        {
            why = "is not linear -> activation (relu, gelu, silu or none) -> linear: " + why;
            return null;
        }
        nodes.Reverse();
        return new Expert(first.Input, activation, first.Layer, second.Layer, nodes);
    }

    /// <summary>fc1's outputs: two per inter value for swiglu (gate and linear interleaved).</summary>
    private static int Fc1Width(string? activation, int inter) => activation == "swiglu" ? 2 * inter : inter;

    /// <summary>
    /// A gated expert's middle, Mul(SiLU(gate linear), up linear) of the same input (Mixtral's w2(silu(w1 x) * w3 x)): the
    /// two layers as one [in -> 2 inter] layer, rows interleaved gate, up, gate, up (ONNX Runtime's swiglu with
    /// swiglu_fusion=1 and its default constants computes exactly silu(gate) * up). Null when it is not one.
    /// </summary>
    private static (string Input, (int In, int Out, float[] Weights, float[] Bias) Layer)? GatedAt(Graph graph, Pattern p, string h, List<Node> nodes, bool shapesKnown)
    {
        if (p.Producer(h, "Mul") is not { } mul || mul.Inputs.Count != 2) return null;
        for (int side = 0; side < 2; side++)
        {
            var local = new List<Node>();
            var (act, a) = ActivationAt(graph, p, mul.Inputs[side], local, shapesKnown);
            if (act != "silu") continue;
            if (LinearAt(graph, p, a, local, out _) is not { } gate || LinearAt(graph, p, mul.Inputs[1 - side], local, out _) is not { } up) continue;
            if (gate.Input != up.Input || gate.Layer.In != up.Layer.In || gate.Layer.Out != up.Layer.Out) continue;
            int inputs = gate.Layer.In, inter = gate.Layer.Out;
            var weights = new float[2 * inter * inputs];
            var bias = new float[2 * inter];
            for (int i = 0; i < inter; i++)
            {
                Array.Copy(gate.Layer.Weights, i * inputs, weights, 2 * i * inputs, inputs);
                Array.Copy(up.Layer.Weights, i * inputs, weights, (2 * i + 1) * inputs, inputs);
                bias[2 * i] = gate.Layer.Bias[i];
                bias[2 * i + 1] = up.Layer.Bias[i];
            }
            nodes.Add(mul);
            nodes.AddRange(local);
            return (gate.Input, (inputs, 2 * inter, weights, bias));
        }
        return null;
    }

    /// <summary>A linear layer producing <paramref name="value"/>: Gemm (alpha = beta = 1, no transA), or MatMul by a constant [in, out] plus an optional constant bias Add.</summary>
    private static (string Input, (int In, int Out, float[] Weights, float[] Bias) Layer)? LinearAt(Graph graph, Pattern p, string value, List<Node> nodes, out string why)
    {
        why = "";
        if (p.Producer(value, "Gemm") is { } gemm)
        {
            if (Linear(graph, gemm) is not { } l)
            {
                why = "its Gemm has weights computed at run time, alpha/beta other than 1 or a transposed input";
                return null;
            }
            nodes.Add(gemm);
            return (gemm.Inputs[0], l);
        }
        string product = value;
        Tensor? bias = null;
        var add = p.Producer(value, "Add");
        if (add is not null && add.Inputs.Count == 2)
        {
            for (int side = 0; side < 2 && bias is null; side++)
                if (p.Producer(add.Inputs[side], "MatMul") is not null && graph.Values.TryGetValue(add.Inputs[1 - side], out var bv) && bv.Constant is { Type: DataType.Float } b)
                {
                    product = add.Inputs[side];
                    bias = b;
                }
        }
        if (p.Producer(product, "MatMul") is not { } matmul)
        {
            why = $"'{value}' is not computed by a Gemm or MatMul";
            return null;
        }
        if (!graph.Values.TryGetValue(matmul.Inputs[1], out var wv) || wv.Constant is not { Type: DataType.Float, Shape.Length: 2 } w)
        {
            why = "its MatMul's weights are not a constant float matrix";
            return null;
        }
        int inputs = w.Shape[0], outputs = w.Shape[1];
        var rows = w.ToFloats();
        var weights = new float[rows.Length];
        for (int i = 0; i < inputs; i++)
            for (int o = 0; o < outputs; o++) weights[o * inputs + i] = rows[i * outputs + o];
        var biasRow = new float[outputs];
        if (bias is not null)
        {
            // [out] or [1, out]: one bias per output, broadcast over the tokens.
            if (bias.Length != outputs || (bias.Shape.Length == 2 && bias.Shape[0] != 1) || bias.Shape.Length > 2)
            {
                why = $"its bias {Shape.Format(bias.Shape)} is not one value per output";
                return null;
            }
            biasRow = bias.ToFloats();
            nodes.Add(add!);
        }
        nodes.Add(matmul);
        return (matmul.Inputs[0], (inputs, outputs, weights, biasRow));
    }

    /// <summary>The activation producing <paramref name="h"/> (MoE activation_type) and its input; ("identity", h) when there is none.</summary>
    private static (string Activation, string Input) ActivationAt(Graph graph, Pattern p, string h, List<Node> nodes, bool shapesKnown)
    {
        if (p.Producer(h, "Relu") is { } relu)
        {
            nodes.Add(relu);
            return ("relu", relu.Inputs[0]);
        }
        if (p.Producer(h, "Gelu") is { } gelu)
        {
            nodes.Add(gelu);
            bool tanh = gelu.Attributes.TryGetValue("approximate", out var a) && a.S.ToStringUtf8() == "tanh";
            return (tanh ? "gelu" : "gelu_erf", gelu.Inputs[0]);
        }
        if (p.Producer(h, "Mul") is { } mul && mul.Inputs.Count == 2)
        {
            for (int side = 0; side < 2; side++)
                if (p.Producer(mul.Inputs[1 - side], "Sigmoid") is { } sigmoid && sigmoid.Inputs[0] == mul.Inputs[side])
                {
                    nodes.Add(mul);
                    nodes.Add(sigmoid);
                    return ("silu", mul.Inputs[side]);
                }
        }
        // ONNX Runtime's MoE gelu is the tanh approximation: an erf GELU becomes gelu_erf, which our dispatch computes exactly.
        if (GeluRecognition.MatchEndingAt(graph, p, h, shapesKnown) is { } chain)
        {
            nodes.AddRange(chain.Nodes);
            return (chain.Tanh ? "gelu" : "gelu_erf", chain.X);
        }
        return ("identity", h);
    }

    /// <summary>An Einsum equation "te,teh->th" with any three distinct letters (spaces ignored).</summary>
    private static bool IsGateEquation(string equation)
    {
        // t e , t e h - > t h
        // 0 1 2 3 4 5 6 7 8 9
        var e = equation.Replace(" ", "");
        return e.Length == 10 && e[2] == ',' && e[6] == '-' && e[7] == '>'
            && char.IsLetter(e[0]) && char.IsLetter(e[1]) && char.IsLetter(e[5]) && e[0] != e[1] && e[1] != e[5] && e[0] != e[5]
            && e[3] == e[0] && e[4] == e[1] && e[8] == e[0] && e[9] == e[5];
    }

    /// <summary>A Gemm y = x W^T + b with constant W ([out, in], or [in, out] without transB) and b, alpha = beta = 1: its weights as [out, in].</summary>
    private static (int In, int Out, float[] Weights, float[] Bias)? Linear(Graph graph, Node gemm)
    {
        if ((gemm.Attributes.TryGetValue("transA", out var ta) ? ta.I : 0) != 0) return null;
        if ((gemm.Attributes.TryGetValue("alpha", out var alpha) ? alpha.F : 1f) != 1f) return null;
        if (gemm.Inputs.Count < 2 || !graph.Values.TryGetValue(gemm.Inputs[1], out var wv) || wv.Constant is not { Type: DataType.Float, Shape.Length: 2 } w) return null;
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
            if (!graph.Values.TryGetValue(gemm.Inputs[2], out var cv) || cv.Constant is not { Type: DataType.Float } c) return null;
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

    // Sparse traced form -----------------------------------------------------------------------------------------

    /// <summary>Tokens the probe evaluates are the graph's own (Dims); each probe draws new random inputs.</summary>
    private const int Probes = 3;

    public static Graph RunSparse(Graph graph, CancellationToken ct)
    {
        // The scripted form (c): each expert's update sits in the then-branch of an If; opened up so that the chain of
        // Adds is visible here. Ifs whose layer is not rewritten are closed again at the end.
        var opened = OpenExpertIfs(graph);
        for (bool changed = true; changed;)
        {
            changed = false;
            var p = new Pattern(graph);
            var links = graph.Nodes.Where(n => n.OpType == "Add" && n.Domain.Length == 0 && ScatterInput(p, n) >= 0).ToList();
            var prevOfLink = new HashSet<string>(links.Select(l => l.Inputs[1 - ScatterInput(p, l)]));
            foreach (var end in links.Where(l => !prevOfLink.Contains(Result(p, l))))
            {
                var outcome = TryMatchSparse(graph, p, end, ct);
                if (outcome.Reason is { } reason)
                {
                    var note = $"{end.Display}: a mixture-of-experts layer (experts' tokens picked by Equal(TopK indices, e) or a OneHot mask -> NonZero, scattered into a running sum) was left as it is because {reason}";
                    if (!graph.Notes.Any(n => n.Message == note)) graph.Notes.Add(("EAI0451", note));
                    continue;
                }
                if (outcome.Match is not { } match) continue;
                // The matched node replaces the node that gives the layer's result (the chain's last Add, or the last
                // expert's If); the index plumbing, now unread, goes with it.
                int at = graph.Nodes.IndexOf(p.AnyProducer(match.Replacement.Outputs[0])!);
                graph.Nodes[at] = match.Replacement;
                RemoveUnread(graph, match.Nodes);
                changed = true;
                break;
            }
        }
        CloseExpertIfs(graph, opened);
        return graph;
    }

    /// <summary>An If opened by <see cref="OpenExpertIfs"/>: its branches and their nodes' guards before, to close it again.</summary>
    private sealed record OpenedIf(Node If, Dictionary<string, Subgraph> Branches, int InputCount, List<(Node Node, List<Guard> Guards)> Inner);

    /// <summary>
    /// The scripted export's per-expert <c>If(tokens &gt; 0)</c>: the then-branch ends in <c>Add(prev, ScatterElements(..))</c>
    /// and the else-branch is <c>Identity(prev)</c>. Each such If is opened as the If op would open it for a run-time
    /// condition: the branch nodes move into the graph under a guard on the condition, and the If stays as the select
    /// of the two branch outputs. The probes evaluate that form, so they check the layer with its real conditions.
    /// </summary>
    private static List<OpenedIf> OpenExpertIfs(Graph graph)
    {
        var opened = new List<OpenedIf>();
        foreach (var node in graph.Nodes.Where(n => n.OpType == "If" && n.Domain.Length == 0 && n.Outputs.Count == 1 && n.Inputs.Count == 1).ToList())
        {
            if (!node.Subgraphs.TryGetValue("then_branch", out var then) || !node.Subgraphs.TryGetValue("else_branch", out var otherwise)) continue;
            if (then.Outputs.Count != 1 || otherwise.Outputs.Count != 1 || otherwise.Nodes.Count != 1) continue;
            var identity = otherwise.Nodes[0];
            if (identity.OpType != "Identity" || identity.Outputs.Count != 1 || identity.Outputs[0] != otherwise.Outputs[0]) continue;
            var add = then.Nodes.FirstOrDefault(n => n.Outputs.Contains(then.Outputs[0]));
            if (add is not { OpType: "Add", Domain: "" } || add.Inputs.Count != 2 || !add.Inputs.Contains(identity.Inputs[0])) continue;
            string update = add.Inputs[add.Inputs[0] == identity.Inputs[0] ? 1 : 0];
            if (!then.Nodes.Any(n => n.OpType == "ScatterElements" && n.Outputs.Contains(update))) continue;
            if (then.Nodes.Any(n => n.Subgraphs.Count > 0)) continue;

            var inner = new List<(Node, List<Guard>)>();
            var moved = new List<Node>();
            foreach (var (branch, when) in new[] { (then, true), (otherwise, false) })
                foreach (var n in branch.Nodes)
                {
                    inner.Add((n, n.Guards));
                    n.Guards = node.Guards.Append(new Guard(node.Inputs[0], when)).Concat(n.Guards).ToList();
                    moved.Add(n);
                }
            opened.Add(new OpenedIf(node, new Dictionary<string, Subgraph>(node.Subgraphs), node.Inputs.Count, inner));
            node.Inputs.Add(then.Outputs[0]);
            node.Inputs.Add(otherwise.Outputs[0]);
            node.Subgraphs.Clear();
            graph.Nodes.InsertRange(graph.Nodes.IndexOf(node), moved);
        }
        return opened;
    }

    /// <summary>Puts the branches of the opened Ifs that are still in the graph (their layer was not rewritten) back.</summary>
    private static void CloseExpertIfs(Graph graph, List<OpenedIf> opened)
    {
        var present = new HashSet<Node>(graph.Nodes);
        foreach (var o in opened.Where(o => present.Contains(o.If)))
        {
            var inner = new HashSet<Node>(o.Inner.Select(i => i.Node));
            graph.Nodes.RemoveAll(inner.Contains);
            foreach (var (n, guards) in o.Inner) n.Guards = guards;
            o.If.Inputs.RemoveRange(o.InputCount, o.If.Inputs.Count - o.InputCount);
            foreach (var kv in o.Branches) o.If.Subgraphs[kv.Key] = kv.Value;
        }
    }

    /// <summary>
    /// The value a chain link passes on: its Add's output, or, when that Add is an opened If's then-branch, the If's
    /// output (the select of the expert's update and the untouched running sum).
    /// </summary>
    private static string Result(Pattern p, Node link) =>
        p.Readers(link.Outputs[0]).FirstOrDefault(r => IsExpertSelect(p, r) && r.Inputs[1] == link.Outputs[0]) is { } select ? select.Outputs[0] : link.Outputs[0];

    /// <summary>An opened If: inputs (condition, then-branch output, else-branch output), the else-branch an Identity of the then-branch Add's running sum.</summary>
    private static bool IsExpertSelect(Pattern p, Node node) =>
        node is { OpType: "If", Domain: "", Subgraphs.Count: 0 } && node.Inputs.Count == 3 && node.Outputs.Count == 1
        && p.Producer(node.Inputs[1], "Add") is { } add && ScatterInput(p, add) >= 0
        && p.Producer(node.Inputs[2], "Identity") is { } identity && identity.Inputs[0] == add.Inputs[1 - ScatterInput(p, add)];

    /// <summary>The link before this one in the chain: the Add that produces its running sum, directly or through an opened If.</summary>
    private static Node? PreviousLink(Pattern p, Node link)
    {
        var prev = link.Inputs[1 - ScatterInput(p, link)];
        if (p.Producer(prev, "Add") is { } a && ScatterInput(p, a) >= 0) return a;
        if (p.Producer(prev, "If") is { } select && IsExpertSelect(p, select)) return p.Producer(select.Inputs[1], "Add");
        return null;
    }

    /// <summary>Which input of an Add is a ScatterElements along axis 0 (a layer's per-expert contribution), or -1.</summary>
    private static int ScatterInput(Pattern p, Node add)
    {
        if (add.Inputs.Count != 2) return -1;
        for (int i = 0; i < 2; i++)
            if (p.Producer(add.Inputs[i], "ScatterElements") is { } s && Axis(s, "axis", 2) == 0) return i;
        return -1;
    }

    private static Outcome TryMatchSparse(Graph graph, Pattern p, Node end, CancellationToken ct)
    {
        // The chain of Adds, last to first.
        var chain = new List<Node>();
        for (var link = end; link is not null; link = PreviousLink(p, link)) chain.Insert(0, link);
        Node? topK = null;
        string? x = null, activation = null;
        int hidden = -1, inter = -1;
        var experts = new SortedDictionary<long, (float[] W1, float[] B1, float[] W2, float[] B2)>();
        // Until one link shows the MoE anchor (tokens selected by Equal(TopK indices, e)), a mismatch is not an MoE at all.
        Outcome Miss(string why) => topK is null ? Outcome.None : Outcome.Because(why);
        foreach (var link in chain)
        {
            var scatter = p.Producer(link.Inputs[ScatterInput(p, link)], "ScatterElements")!;
            // Which expert: Equal(TopK indices, e), or Gather(a OneHot of the TopK indices, e) (the Mixtral-style mask),
            // among the producers of the scattered token indices.
            if (ExpertSelection(graph, p, scatter.Inputs[1]) is not { } selection) return Miss("an expert's tokens are not selected by Equal(TopK indices, e) or Gather(OneHot(TopK indices), e)");
            if (topK is not null && selection.TopK != topK) return Outcome.Because("the experts compare different TopK outputs");
            topK = selection.TopK;
            if (selection.Expert is not { } e) return Outcome.Because("an expert's number is not a constant");
            if (experts.ContainsKey(e)) return Outcome.Because($"expert {e} appears twice");
            // The expert: the update's cone reaches Gemm(act(Gemm(Gather(x, tokens)))) through Mul/Expand/Reshape.
            // (Gemm, or MatMul with or without a bias Add) through Mul/Expand/Reshape.
            var second = FindUp(p, scatter.Inputs[2], n => n.OpType is "Gemm" or "MatMul" || (n.OpType == "Add" && n.Inputs.Any(i => p.Producer(i, "MatMul") is not null)),
                through: new[] { "Mul", "Expand", "Reshape", "Unsqueeze", "Squeeze" });
            if (second is null) return Outcome.Because($"expert {e}'s update does not come from a Gemm or MatMul");
            if (MatchExpert(graph, p, second.Outputs[0], shapesKnown: false, out var why) is not { } ex) return Outcome.Because($"expert {e} {why}");
            var gather = p.Producer(ex.Input, "Gather");
            if (gather is null) return Outcome.Because($"expert {e} does not read gathered tokens (Gather -> linear -> activation -> linear)");
            if (activation is not null && ex.Activation != activation) return Outcome.Because("the experts use different activations");
            activation = ex.Activation;
            x ??= gather.Inputs[0];
            if (gather.Inputs[0] != x) return Outcome.Because("the experts gather tokens from different inputs");
            var (l1, l2) = (ex.First, ex.Second);
            if (hidden < 0) (hidden, inter) = (l1.In, l2.In);
            if (l1.In != hidden || l1.Out != Fc1Width(activation, inter) || l2.In != inter || l2.Out != hidden) return Outcome.Because($"expert {e}'s layers are not [{hidden} -> {inter} -> {hidden}] like the others'");
            experts[e] = (l1.Weights, l1.Bias, l2.Weights, l2.Bias);
        }
        if (topK is null || x is null) return Outcome.None;
        int count = experts.Count;
        if (experts.Keys.First() != 0 || experts.Keys.Last() != count - 1) return Outcome.Because($"the experts are numbered {string.Join(", ", experts.Keys)}, not 0 to {count - 1}");
        if (p.Producer(topK.Inputs[0], "Softmax") is not { } softmax) return Outcome.Because("the top k are not taken of a Softmax");
        if (!topK.HasInput(1) || !graph.Values.TryGetValue(topK.Inputs[1], out var kv) || kv.Constant is not { Length: 1 } kTensor) return Outcome.Because("TopK's k is not a constant input (TopK before opset 10)");
        int kk = (int)kTensor.ToLongs()[0];
        if (kk < 1 || kk > count) return Outcome.Because($"TopK's k={kk} is not between 1 and the {count} experts");
        // The tokens: a graph input, or computed from the inputs with a static shape (e.g. [batch, seq, hidden] flattened
        // by a Reshape whose shape comes from Shape ops): then evaluated once to learn it.
        graph.Values.TryGetValue(x, out var xv);
        if ((xv?.Shape ?? ShapeByEvaluation(graph, p, x, ct)) is not { Length: 2 } xShape || xShape[1] != hidden
            || (xv?.Shape is not null && xv.Type != DataType.Float))
            return Outcome.Because("the tokens are not float [tokens, hidden] with a shape known before shape inference (a graph input, or computed from the inputs' shapes)");
        // Renormalized when the weights pass through Div(values, ReduceSum(values)).
        bool normalize = p.Readers(topK.Outputs[0]).Any(r => r.OpType == "Div" && r.Inputs[0] == topK.Outputs[0]
            && p.Producer(r.Inputs[1], "ReduceSum") is { } sum && sum.Inputs[0] == topK.Outputs[0]);

        // The layer's result: the last Add's output, or the last expert's If in the scripted form.
        string name = Result(p, end);
        var last = p.AnyProducer(name)!;
        var moe = new Node("MoE", "com.microsoft", last.Name.Length > 0 ? last.Name : name, 1) { Guards = last.Guards };
        moe.Inputs.Add(x);
        moe.Inputs.Add(softmax.Inputs[0]);
        var order = experts.Values.ToList();
        moe.Inputs.Add(Stack(graph, name + "_fc1_experts_weights", order.Select(v => v.W1).ToList(), new[] { count, Fc1Width(activation!, inter), hidden }));
        moe.Inputs.Add(Stack(graph, name + "_fc1_experts_bias", order.Select(v => v.B1).ToList(), new[] { count, Fc1Width(activation!, inter) }));
        moe.Inputs.Add(Stack(graph, name + "_fc2_experts_weights", order.Select(v => v.W2).ToList(), new[] { count, hidden, inter }));
        moe.Inputs.Add(Stack(graph, name + "_fc2_experts_bias", order.Select(v => v.B2).ToList(), new[] { count, hidden }));
        moe.Outputs.Add(name);
        moe.Attributes["k"] = new AttributeProto { Name = "k", Type = AttributeProto.Types.AttributeType.Int, I = kk };
        moe.Attributes["activation_type"] = new AttributeProto { Name = "activation_type", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8(activation!) };
        moe.Attributes["normalize_routing_weights"] = new AttributeProto { Name = "normalize_routing_weights", Type = AttributeProto.Types.AttributeType.Int, I = normalize ? 1 : 0 };
        if (activation == "swiglu") moe.Attributes["swiglu_fusion"] = new AttributeProto { Name = "swiglu_fusion", Type = AttributeProto.Types.AttributeType.Int, I = 1 };
        moe.Fused.Add(string.Format(CultureInfo.InvariantCulture, "sparse MoE export ({0} experts)", count));

        // The layer's nodes: everything between the router's logits (and the tokens) and y.
        var cone = Cone(graph, p, name, stopAt: new HashSet<string> { x, softmax.Inputs[0] });
        if (cone is null) return Outcome.Because("the layer reads values other than the tokens, the router logits and constants");
        if (!p.Replaceable(cone, name, sameGuards: false)) return Outcome.Because("a value inside the layer (router probabilities, an expert's output) is also read outside it");
        // The scripted form's branch nodes run under conditions computed inside the layer; nothing outside may depend on them.
        var inside = new HashSet<string>(cone.SelectMany(n => n.Outputs));
        var coneSet = new HashSet<Node>(cone);
        if (graph.Nodes.Any(n => !coneSet.Contains(n) && n.Guards.Any(g => inside.Contains(g.Condition))))
            return Outcome.Because("a node outside the layer runs under a condition computed inside it");
        for (int probe = 0; probe < Probes; probe++)
        {
            if (ProbeDiffers(graph, cone, moe, x, xShape, softmax.Inputs[0], name, probe, ct) is { } why) return Outcome.Because(why);
        }
        return new Outcome(new Match(cone, moe), null);
    }

    /// <summary>
    /// The node that picks one expert's routes: Equal(TopK indices, e) or Gather(OneHot(TopK indices) [transposed], e)
    /// along axis 0; its TopK and e (null when e is not a constant scalar). Null when there is none.
    /// </summary>
    private static (Node TopK, long? Expert)? ExpertSelection(Graph graph, Pattern p, string indices)
    {
        long? Scalar(string name) => graph.Values.TryGetValue(name, out var v) && v.Constant is { Length: 1 } c && c.Type is DataType.Int64 or DataType.Int32 ? c.ToLongs()[0] : null;
        Node? IndicesOf(string value) => p.Producer(value, "TopK") is { } k && k.Outputs.Count > 1 && k.Outputs[1] == value ? k : null;
        Node? OneHotTopK(string value)
        {
            var oneHot = FindUp(p, value, n => n.OpType == "OneHot", through: new[] { "Transpose", "Cast" }, limit: 4);
            return oneHot is null ? null : IndicesOf(oneHot.Inputs[0]);
        }
        var pick = FindUp(p, indices, n =>
            (n.OpType == "Equal" && (IndicesOf(n.Inputs[0]) ?? IndicesOf(n.Inputs[1])) is not null)
            || (n.OpType == "Gather" && Axis(n, "axis", 3) == 0 && OneHotTopK(n.Inputs[0]) is not null), through: null);
        if (pick is null) return null;
        if (pick.OpType == "Gather") return (OneHotTopK(pick.Inputs[0])!, Scalar(pick.Inputs[1]));
        bool left = IndicesOf(pick.Inputs[0]) is not null;
        return (IndicesOf(pick.Inputs[left ? 0 : 1])!, Scalar(pick.Inputs[left ? 1 : 0]));
    }

    /// <summary>Searches producers breadth-first from a value (through any op, or only the listed ones) for the nearest node that satisfies the test.</summary>
    private static Node? FindUp(Pattern p, string value, Func<Node, bool> test, string[]? through, int limit = 48)
    {
        var queue = new Queue<string>();
        var seen = new HashSet<string>();
        queue.Enqueue(value);
        while (queue.Count > 0 && seen.Count < limit)
        {
            var v = queue.Dequeue();
            if (!seen.Add(v) || p.AnyProducer(v) is not { } n) continue;
            if (test(n)) return n;
            if (through is not null && !through.Contains(n.OpType)) continue;
            foreach (var i in n.Inputs) if (i.Length > 0) queue.Enqueue(i);
        }
        return null;
    }

    /// <summary>The nodes y depends on back to the stop values and constants, in graph order; null when it reads a graph input or a value produced without a node.</summary>
    private static List<Node>? Cone(Graph graph, Pattern p, string y, HashSet<string> stopAt)
    {
        var nodes = new HashSet<Node>();
        var stack = new Stack<string>();
        stack.Push(y);
        var seen = new HashSet<string>();
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            if (!seen.Add(v) || stopAt.Contains(v)) continue;
            if (graph.Values.TryGetValue(v, out var value) && value.Constant is not null) continue;
            if (p.AnyProducer(v) is not { } n) return null;
            if (!nodes.Add(n)) continue;
            foreach (var i in n.Inputs) if (i.Length > 0) stack.Push(i);
            foreach (var g in n.Guards) stack.Push(g.Condition);
            if (nodes.Count > 4096) return null;
        }
        return graph.Nodes.Where(nodes.Contains).ToList();
    }

    private static void RemoveUnread(Graph graph, List<Node> region)
    {
        var candidates = new HashSet<Node>(region);
        for (bool removed = true; removed;)
        {
            removed = false;
            var read = new HashSet<string>(graph.Nodes.SelectMany(n => n.Inputs).Concat(graph.Outputs));
            foreach (var n in graph.Nodes.Where(n => candidates.Contains(n) && !n.Outputs.Any(read.Contains)).ToList())
            {
                graph.Nodes.Remove(n);
                candidates.Remove(n);
                removed = true;
            }
        }
    }

    /// <summary>
    /// The shape of a value computed from the graph's float inputs (static shapes from the model or Dims) and constants,
    /// found by evaluating the nodes that lead to it on zero inputs; null when it cannot be (a non-float input, a node
    /// that does not fold, a run-time condition, more than 256 nodes).
    /// </summary>
    private static int[]? ShapeByEvaluation(Graph graph, Pattern p, string value, CancellationToken ct)
    {
        var nodes = new HashSet<Node>();
        var inputs = new HashSet<string>();
        var stack = new Stack<string>();
        var seen = new HashSet<string>();
        stack.Push(value);
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            if (!seen.Add(v) || v.Length == 0) continue;
            graph.Values.TryGetValue(v, out var known);
            if (known?.Constant is not null) continue;
            if (graph.Inputs.Contains(v))
            {
                if (known?.Shape is null || known.Type != DataType.Float) return null;
                inputs.Add(v);
                continue;
            }
            if (p.AnyProducer(v) is not { } n || n.Guards.Count > 0 || n.Subgraphs.Count > 0) return null;
            if (!nodes.Add(n)) continue;
            if (nodes.Count > 256) return null;
            foreach (var i in n.Inputs) stack.Push(i);
        }
        var g = new Graph();
        foreach (var kv in graph.Opsets) g.Opsets[kv.Key] = kv.Value;
        void Set(string name, Tensor t)
        {
            var v = g.Value(name);
            v.Constant = t;
            v.Type = t.Type;
            v.Shape = t.Shape;
        }
        foreach (var i in inputs) Set(i, Tensor.FromFloats(graph.Values[i].Shape!, new float[Shape.ElementsInt(graph.Values[i].Shape!)]));
        var order = graph.Nodes.Where(nodes.Contains).ToList();
        foreach (var n in order)
            foreach (var i in n.Inputs)
                if (i.Length > 0 && !g.Values.ContainsKey(i) && graph.Values.TryGetValue(i, out var iv) && iv.Constant is { } c) Set(i, c);
        try
        {
            foreach (var n in order)
            {
                ct.ThrowIfCancellationRequested();
                var copy = new Node(n.OpType, n.Domain, n.Name, n.Opset);
                copy.Inputs.AddRange(n.Inputs);
                copy.Outputs.AddRange(n.Outputs);
                foreach (var a in n.Attributes) copy.Attributes[a.Key] = a.Value;
                if (!Evaluate(new Ops.OpContext(g, copy))) return null;
            }
        }
        catch (CompileError)
        {
            return null;
        }
        return g.Values.TryGetValue(value, out var r) ? r.Constant?.Shape : null;
    }

    /// <summary>
    /// Evaluates the layer's original nodes on random tokens and logits at compile time and compares with what the MoE
    /// node computes on them; a reason when they differ or the layer cannot be evaluated, null when they agree.
    /// </summary>
    private static string? ProbeDiffers(Graph graph, List<Node> cone, Node moe, string x, int[] xShape, string logits, string y, int seed, CancellationToken ct)
    {
        var g = new Graph();
        foreach (var kv in graph.Opsets) g.Opsets[kv.Key] = kv.Value;
        // A fixed xorshift stream (the generator must be deterministic): values in [-2, 2).
        ulong state = 0x9E3779B97F4A7C15UL * (ulong)(seed + 1);
        Tensor Random(int[] shape)
        {
            var data = new float[Shape.ElementsInt(shape)];
            for (int i = 0; i < data.Length; i++)
            {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                data[i] = (float)((state >> 11) * (1.0 / (1UL << 53)) * 4 - 2);
            }
            return Tensor.FromFloats(shape, data);
        }
        void Set(string name, Tensor t)
        {
            var v = g.Value(name);
            v.Constant = t;
            v.Type = t.Type;
            v.Shape = t.Shape;
        }
        int tokens = xShape[0], experts = graph.Values[moe.Inputs[2]].RequireShape[0];
        var xs = Random(xShape);
        var ls = Random(new[] { tokens, experts });
        Set(x, xs);
        Set(logits, ls);
        foreach (var n in cone)
            foreach (var i in n.Inputs)
                if (i.Length > 0 && !g.Values.ContainsKey(i) && graph.Values.TryGetValue(i, out var v) && v.Constant is { } c) Set(i, c);
        try
        {
            foreach (var n in cone)
            {
                ct.ThrowIfCancellationRequested();
                // A branch node of the scripted form runs only when its If's condition says so, as at run time.
                bool skip = false;
                foreach (var guard in n.Guards.Where(gd => !moe.Guards.Contains(gd)))
                {
                    if (!g.Values.TryGetValue(guard.Condition, out var c) || c.Constant is not { Length: 1 } cond) return $"the condition '{guard.Condition}' of its {n.Display} cannot be evaluated at compile time";
                    skip |= (cond.GetDouble(0) != 0) != guard.When;
                }
                if (skip) continue;
                if (n.OpType == "If" && n.Subgraphs.Count == 0 && n.Inputs.Count == 3)
                {
                    // An opened If selects its then- or else-branch output.
                    var taken = g.Values[n.Inputs[0]].Constant!.GetDouble(0) != 0 ? n.Inputs[1] : n.Inputs[2];
                    if (!g.Values.TryGetValue(taken, out var tv) || tv.Constant is null) return $"its {n.Display} selects a value that was not evaluated";
                    Set(n.Outputs[0], tv.Constant);
                    continue;
                }
                var copy = new Node(n.OpType, n.Domain, n.Name, n.Opset);
                copy.Inputs.AddRange(n.Inputs);
                copy.Outputs.AddRange(n.Outputs);
                foreach (var a in n.Attributes) copy.Attributes[a.Key] = a.Value;
                if (!Evaluate(new Ops.OpContext(g, copy))) return $"its {n.Display} cannot be evaluated at compile time to check the rewrite";
            }
        }
        catch (CompileError e)
        {
            return "evaluating it on a probe input failed: " + e.Message;
        }
        var actual = g.Values[y].Constant!.ToFloats();
        var expected = Reference(graph, moe, xs.ToFloats(), ls.ToFloats(), tokens, experts);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= 1e-4 + 1e-3 * Math.Abs(expected[i])))
                return string.Format(CultureInfo.InvariantCulture, "on a probe input it computes {0} where a mixture of experts gives {1} (element {2})", actual[i], expected[i], i);
        return null;
    }

    /// <summary>One node with constant inputs: Gemm, MatMul and Softmax here (they have no folding), the rest by the op's own evaluation.</summary>
    private static bool Evaluate(Ops.OpContext ctx)
    {
        var op = Ops.OperatorRegistry.Find(ctx.Node.Domain, ctx.Node.OpType);
        if (op is null || op.Expand(ctx) is not null) return false;
        op.Infer(ctx);
        if (Enumerable.Range(0, ctx.OutputCount).All(i => !ctx.HasOutput(i) || ctx.Output(i).Constant is not null)) return true;
        if (!ctx.AllInputsConstant) return false;
        switch (ctx.Node.OpType)
        {
            case "Gemm" or "MatMul" when ctx.Rank(0) == 2 && ctx.Rank(1) == 2:
            {
                bool gemm = ctx.Node.OpType == "Gemm";
                bool ta = gemm && ctx.Int("transA", 0) != 0, tb = gemm && ctx.Int("transB", 0) != 0;
                var a = ctx.Const(0)!.ToFloats();
                var b = ctx.Const(1)!.ToFloats();
                var shape = ctx.Output(0).RequireShape;
                int m = shape[0], n = shape[1], k = ta ? ctx.Shape(0)[0] : ctx.Shape(0)[1];
                float alpha = gemm ? ctx.Float("alpha", 1f) : 1f, beta = gemm ? ctx.Float("beta", 1f) : 0f;
                var c = gemm && ctx.Has(2) ? ctx.Const(2) : null;
                var result = new float[m * n];
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double sum = 0;
                        for (int q = 0; q < k; q++) sum += (double)a[ta ? q * m + i : i * k + q] * b[tb ? j * k + q : q * n + j];
                        double bias = 0;
                        if (c is not null) bias = c.Length == 1 ? c.GetDouble(0) : c.Length == n ? c.GetDouble(j) : c.GetDouble(i * n + j);
                        result[i * n + j] = (float)(alpha * sum + beta * bias);
                    }
                ctx.SetConst(0, Tensor.FromFloats(shape, result));
                return true;
            }
            case "Softmax" when ctx.Rank(0) == 2 && Axis(ctx.Node, "axis", 2, ctx.Opset >= 13 ? -1 : 1) == 1:
            {
                var s = ctx.Shape(0);
                var v = ctx.Const(0)!.ToFloats();
                var result = new float[v.Length];
                for (int r = 0; r < s[0]; r++)
                {
                    double max = double.NegativeInfinity, sum = 0;
                    for (int j = 0; j < s[1]; j++) max = Math.Max(max, v[r * s[1] + j]);
                    for (int j = 0; j < s[1]; j++) sum += Math.Exp(v[r * s[1] + j] - max);
                    for (int j = 0; j < s[1]; j++) result[r * s[1] + j] = (float)(Math.Exp(v[r * s[1] + j] - max) / sum);
                }
                ctx.SetConst(0, Tensor.FromFloats(s, result));
                return true;
            }
            default:
                return op.TryEvaluate(ctx);
        }
    }

    /// <summary>What the MoE node computes (ONNX Runtime's definition), in double.</summary>
    private static float[] Reference(Graph graph, Node moe, float[] x, float[] logits, int tokens, int experts)
    {
        var w1 = graph.Values[moe.Inputs[2]].Constant!.ToFloats();
        var b1 = graph.Values[moe.Inputs[3]].Constant!.ToFloats();
        var w2 = graph.Values[moe.Inputs[4]].Constant!.ToFloats();
        var b2 = graph.Values[moe.Inputs[5]].Constant!.ToFloats();
        // fc1 is [E, width, hidden]: width = inter, or 2 inter for swiglu (gate, linear interleaved); fc2 [E, hidden, inter].
        int width = graph.Values[moe.Inputs[2]].RequireShape[1], hidden = graph.Values[moe.Inputs[2]].RequireShape[2];
        int inter = graph.Values[moe.Inputs[4]].RequireShape[2];
        int k = (int)moe.Attributes["k"].I;
        bool normalize = moe.Attributes["normalize_routing_weights"].I == 1;
        string activation = moe.Attributes["activation_type"].S.ToStringUtf8();
        var y = new float[tokens * hidden];
        var h = new double[inter];
        var f = new double[width];
        for (int t = 0; t < tokens; t++)
        {
            var p = new double[experts];
            double max = double.NegativeInfinity, sum = 0;
            for (int e = 0; e < experts; e++) max = Math.Max(max, logits[t * experts + e]);
            for (int e = 0; e < experts; e++) sum += p[e] = Math.Exp(logits[t * experts + e] - max);
            var chosen = Enumerable.Range(0, experts).OrderByDescending(e => p[e]).Take(k).ToList();
            double total = chosen.Sum(e => p[e]);
            foreach (var e in chosen)
            {
                double w = normalize ? p[e] / total : p[e] / sum;
                for (int i = 0; i < width; i++)
                {
                    double acc = b1[e * width + i];
                    for (int q = 0; q < hidden; q++) acc += (double)w1[(e * width + i) * hidden + q] * x[t * hidden + q];
                    f[i] = acc;
                }
                for (int i = 0; i < inter; i++)
                {
                    double acc = f[i];
                    h[i] = activation switch
                    {
                        "relu" => Math.Max(acc, 0),
                        "gelu" => 0.5 * acc * (1 + Math.Tanh(0.7978845608028654 * (acc + 0.044715 * acc * acc * acc))),
                        "gelu_erf" => 0.5 * acc * (1 + Ops.ErfOp.Erf(acc / 1.4142135623730951)),
                        "silu" => acc / (1 + Math.Exp(-acc)),
                        "swiglu" => f[2 * i] / (1 + Math.Exp(-f[2 * i])) * f[2 * i + 1], // the recognized form: ORT's defaults
                        _ => acc,
                    };
                }
                for (int o = 0; o < hidden; o++)
                {
                    double acc = b2[e * hidden + o];
                    for (int i = 0; i < inter; i++) acc += w2[(e * hidden + o) * inter + i] * h[i];
                    y[t * hidden + o] += (float)(w * acc);
                }
            }
        }
        return y;
    }
}
