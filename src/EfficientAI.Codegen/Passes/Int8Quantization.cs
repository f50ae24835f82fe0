using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Passes;

/// <summary>What the Int8Quantization pass did with one Conv/Gemm/MatMul, for the build report.</summary>
internal sealed record LayerQuantization(string Node, string OpType, bool Quantized, string Reason, int Channels, float MinWeightScale, float MaxWeightScale, double WeightSqnrDb)
;

/// <summary>
/// Quantize="int8": Conv, Gemm and MatMul with constant float weights become QuantizedConv/QuantizedMatMul on
/// symmetric per-output-channel int8 weights; activations are quantized to uint8 per call from their range
/// (dynamic quantization, as ONNX Runtime's quantize_dynamic). Layers left in float say why in
/// <see cref="Graph.Quantization"/>. Accuracy gate: a layer whose int8 weights reproduce its float weights with a
/// signal-to-quantization-noise ratio below minSqnrDb (outlier weights that one scale per channel cannot hold) stays float.
/// </summary>
internal static class Int8Quantization
{
    /// <summary>MinSqnrDb's default: per-channel int8 weights of trained layers measure about 35-45 dB; far below is an outlier.</summary>
    public const double DefaultMinSqnrDb = 30;

    public static Graph Run(Graph graph, double minSqnrDb = DefaultMinSqnrDb)
    {
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            if (node is { OpType: "MoE", Domain: "com.microsoft" } && node.Guards.Count == 0)
            {
                if (MoE(graph, node, minSqnrDb) is { } moe) graph.Nodes[i] = moe;
                continue;
            }
            if (node.Domain.Length != 0 || node.Guards.Count > 0) continue;
            var replacement = node.OpType switch
            {
                "Conv" => Conv(graph, node, minSqnrDb),
                "Gemm" => Gemm(graph, node, minSqnrDb),
                "MatMul" => MatMul(graph, node, minSqnrDb),
                _ => null,
            };
            if (replacement is not null) graph.Nodes[i] = replacement;
        }
        return graph;
    }

    /// <summary>10 log10(signal power / error power) of w against its dequantized int8 values.</summary>
    private static double SqnrDb(float[] w, sbyte[] q, float[] scales, System.Func<int, int> channelOf)
    {
        double signal = 0, noise = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double e = w[i] - (double)q[i] * scales[channelOf(i)];
            signal += (double)w[i] * w[i];
            noise += e * e;
        }
        return noise == 0 ? double.PositiveInfinity : signal == 0 ? double.NegativeInfinity : 10 * System.Math.Log10(signal / noise);
    }

    private static Tensor? Const(Graph graph, Node node, int i) => node.HasInput(i) ? graph.Values[node.Inputs[i]].Constant : null;

    private static Node? Skip(Graph graph, Node node, string reason)
    {
        graph.Quantization.Add(new LayerQuantization(node.Name, node.OpType, false, reason, 0, 0f, 0f, double.NaN));
        return null;
    }

    private static Node? Replace(Graph graph, Node node, string opType, sbyte[] q, int[] qShape, float[] scales, float[]? bias, double sqnr, double minSqnrDb)
    {
        if (sqnr < minSqnrDb)
        {
            graph.Quantization.Add(new LayerQuantization(node.Name, node.OpType, false,
                $"int8 weights measure {sqnr.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} dB SQNR, below MinSqnrDb {minSqnrDb.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)}",
                scales.Length, scales.Min(), scales.Max(), sqnr));
            return null;
        }
        var replacement = new Node(opType, QuantizedMatMulOp.OpDomain, node.Name, 1);
        replacement.Inputs.Add(node.Inputs[0]);
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[1] + "_int8", new Tensor(DataType.Int8, qShape, q)));
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[1] + "_scale", Tensor.FromFloats(new[] { scales.Length }, scales)));
        if (bias is not null) replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[1] + "_bias", Tensor.FromFloats(new[] { bias.Length }, bias)));
        replacement.Outputs.Add(node.Outputs[0]);
        foreach (var attr in node.Attributes) replacement.Attributes[attr.Key] = attr.Value;
        replacement.Fused.AddRange(node.Fused);
        replacement.Activation = node.Activation;
        graph.Quantization.Add(new LayerQuantization(node.Name, node.OpType, true, "int8 weights per output channel, uint8 activations quantized per call",
            scales.Length, scales.Min(), scales.Max(), sqnr));
        return replacement;
    }

    private static Node? Conv(Graph graph, Node node, double minSqnrDb)
    {
        var x = graph.Values[node.Inputs[0]];
        var w = Const(graph, node, 1);
        if (x.Type != DataType.Float || w is null || w.Type != DataType.Float) return Skip(graph, node, "weights computed at run time");
        if (node.HasInput(2) && Const(graph, node, 2) is null) return Skip(graph, node, "bias computed at run time");
        int m = w.Shape[0], block = w.Length / (m == 0 ? 1 : m);
        int group = (int)(node.Attributes.TryGetValue("group", out var g) ? g.I : 1);
        if (w.Shape.Length > 1 && w.Shape[1] == 1 && group == m && group > 1) return Skip(graph, node, "depthwise: the float kernel is faster than an int8 im2col");
        var wf = w.ToFloats();
        var (q, scales) = Int8Weights.Quantize(wf, m, i => i / block);
        return Replace(graph, node, "QuantizedConv", q, w.Shape, scales, Const(graph, node, 2)?.ToFloats(), SqnrDb(wf, q, scales, i => i / block), minSqnrDb);
    }

    private static Node? Gemm(Graph graph, Node node, double minSqnrDb)
    {
        var a = graph.Values[node.Inputs[0]];
        var b = Const(graph, node, 1);
        if (a.Type != DataType.Float || b is null || b.Type != DataType.Float) return Skip(graph, node, "weights computed at run time");
        long Attr(string name, long fallback) => node.Attributes.TryGetValue(name, out var v) ? v.I : fallback;
        float AttrF(string name) => node.Attributes.TryGetValue(name, out var v) ? v.F : 1f;
        if (Attr("transA", 0) != 0) return Skip(graph, node, "transA");
        bool transB = Attr("transB", 0) != 0;
        int k = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
        float alpha = AttrF("alpha"), beta = node.Attributes.ContainsKey("beta") ? AttrF("beta") : 1f;
        float[]? bias = null;
        if (node.HasInput(2))
        {
            var c = Const(graph, node, 2);
            if (c is null) return Skip(graph, node, "C computed at run time");
            if (c.Length != 1 && !(c.Length == n && c.Shape.Length >= 1 && c.Shape[c.Shape.Length - 1] == n)) return Skip(graph, node, "C is not one value per column");
            var cv = c.ToFloats();
            bias = Enumerable.Range(0, n).Select(j => beta * cv[c.Length == 1 ? 0 : j]).ToArray();
        }
        // As [k, n]: w[p, j]; per-column scales with alpha folded in.
        var bv = b.ToFloats();
        var kn = new float[k * n];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++) kn[p * n + j] = bv[transB ? j * k + p : p * n + j];
        var (q, scales) = Int8Weights.Quantize(kn, n, i => i % n);
        double sqnr = SqnrDb(kn, q, scales, i => i % n);
        for (int j = 0; j < n; j++) scales[j] *= alpha;
        var replacement = Replace(graph, node, "QuantizedMatMul", q, new[] { k, n }, scales, bias, sqnr, minSqnrDb);
        replacement?.Attributes.Clear();
        return replacement;
    }

    private static Node? MatMul(Graph graph, Node node, double minSqnrDb)
    {
        var a = graph.Values[node.Inputs[0]];
        var b = Const(graph, node, 1);
        if (a.Type != DataType.Float || b is null || b.Type != DataType.Float) return Skip(graph, node, "weights computed at run time");
        if (b.Shape.Length != 2 || a.RequireShape.Length < 2) return Skip(graph, node, "not a 2-D weight matrix");
        int n = b.Shape[1];
        var bf = b.ToFloats();
        var (q, scales) = Int8Weights.Quantize(bf, n, i => i % n);
        return Replace(graph, node, "QuantizedMatMul", q, b.Shape, scales, null, SqnrDb(bf, q, scales, i => i % n), minSqnrDb);
    }

    /// <summary>
    /// An MoE's experts: every expert's fc1 and fc2 on int8 weights per output channel (one scale per expert and output
    /// row); one report row per expert with its ROM before and after. Kept float when any expert's weights fall below minSqnrDb.
    /// </summary>
    private static Node? MoE(Graph graph, Node node, double minSqnrDb)
    {
        var fc1 = Const(graph, node, 2);
        var fc2 = Const(graph, node, 4);
        if (fc1 is null || fc2 is null || fc1.Type != DataType.Float || fc2.Type != DataType.Float || fc1.Shape.Length != 3 || fc2.Shape.Length != 3)
            return Skip(graph, node, "expert weights computed at run time");
        if (node.HasInput(6) || node.HasInput(7) || (node.Attributes.TryGetValue("activation_type", out var act) && act.S.ToStringUtf8() == "swiglu"))
            return Skip(graph, node, "fc3 or swiglu experts");
        if ((node.HasInput(3) && Const(graph, node, 3) is null) || (node.HasInput(5) && Const(graph, node, 5) is null)) return Skip(graph, node, "expert biases computed at run time");
        int experts = fc1.Shape[0], inter = fc1.Shape[1], hidden = fc1.Shape[2];
        // [E, out, in]: channel = expert * out + row.
        var w1 = fc1.ToFloats();
        var w2 = fc2.ToFloats();
        var (q1, s1) = Int8Weights.Quantize(w1, experts * inter, i => i / hidden);
        var (q2, s2) = Int8Weights.Quantize(w2, experts * hidden, i => i / inter);
        double sqnr = System.Math.Min(SqnrDb(w1, q1, s1, i => i / hidden), SqnrDb(w2, q2, s2, i => i / inter));
        var scales = s1.Concat(s2).ToArray();
        if (sqnr < minSqnrDb)
        {
            graph.Quantization.Add(new LayerQuantization(node.Name, node.OpType, false,
                $"int8 expert weights measure {sqnr.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} dB SQNR, below MinSqnrDb {minSqnrDb.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)}",
                scales.Length, scales.Min(), scales.Max(), sqnr));
            return null;
        }
        float[] Bias(int i, int n) => Const(graph, node, i)?.ToFloats() ?? new float[n];
        var replacement = new Node("QuantizedMoE", QuantizedMatMulOp.OpDomain, node.Name, 1) { Guards = node.Guards };
        replacement.Inputs.Add(node.Inputs[0]);
        replacement.Inputs.Add(node.Inputs[1]);
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[2] + "_int8", new Tensor(DataType.Int8, fc1.Shape, q1)));
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[2] + "_scale", Tensor.FromFloats(new[] { experts, inter }, s1)));
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[2] + "_bias", Tensor.FromFloats(new[] { experts, inter }, Bias(3, experts * inter))));
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[4] + "_int8", new Tensor(DataType.Int8, fc2.Shape, q2)));
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[4] + "_scale", Tensor.FromFloats(new[] { experts, hidden }, s2)));
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[4] + "_bias", Tensor.FromFloats(new[] { experts, hidden }, Bias(5, experts * hidden))));
        replacement.Outputs.Add(node.Outputs[0]);
        foreach (var attr in node.Attributes) replacement.Attributes[attr.Key] = attr.Value;
        replacement.Fused.AddRange(node.Fused);
        // Per expert: float ROM (weights and biases) and int8 ROM (packed weights, column sums, scales, biases).
        long floatBytes = 4L * (2L * hidden * inter + inter + hidden);
        long int8Bytes = Int8Weights.PackedLength(hidden, inter) + Int8Weights.PackedLength(inter, hidden) + 4L * 2 * (inter + hidden) + 4L * (inter + hidden);
        string N(long v) => v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        for (int e = 0; e < experts; e++)
        {
            int expert = e;
            var expertScales = s1.Skip(e * inter).Take(inter).Concat(s2.Skip(e * hidden).Take(hidden)).ToArray();
            double expertSqnr = System.Math.Min(
                SqnrDb(w1.Skip(e * inter * hidden).Take(inter * hidden).ToArray(), q1.Skip(e * inter * hidden).Take(inter * hidden).ToArray(), s1, i => expert * inter + i / hidden),
                SqnrDb(w2.Skip(e * hidden * inter).Take(hidden * inter).ToArray(), q2.Skip(e * hidden * inter).Take(hidden * inter).ToArray(), s2, i => expert * hidden + i / inter));
            graph.Quantization.Add(new LayerQuantization($"{node.Name} expert {e}", "MoE expert", true,
                $"fc1 + fc2 int8 per output channel: {N(int8Bytes)} B ROM per expert (float {N(floatBytes)} B); runs only when routed",
                expertScales.Length, expertScales.Min(), expertScales.Max(), expertSqnr));
        }
        return replacement;
    }
}
