using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Passes;

/// <summary>What the Int8Quantization pass did with one Conv/Gemm/MatMul, for the build report.</summary>
/// <param name="InputScale">The static activation scale from calibration; 0 when activations are quantized per call.</param>
/// <param name="OutputSqnrDb">With calibration: the layer's int8 output against its float output on the samples; NaN otherwise.</param>
internal sealed record LayerQuantization(string Node, string OpType, bool Quantized, string Reason, int Channels, float MinWeightScale, float MaxWeightScale, double WeightSqnrDb,
    float InputScale = 0f, int InputZeroPoint = 0, double OutputSqnrDb = double.NaN);

/// <summary>
/// How calibration turns a layer input's observed values into a range: MinMax, Percentile (clips the tails), or Entropy
/// (the clipping threshold whose quantized histogram is closest to the observed one in KL divergence, as TensorRT).
/// </summary>
internal sealed record CalibrationMethod(bool Percentile, double P, bool Entropy = false)
{
    /// <summary>Percentile's default: keep all but the 0.01% most extreme values on each side.</summary>
    public const double DefaultPercentile = 99.99;

    /// <summary>Whether the method needs a sample of the values (not only their min and max).</summary>
    public bool KeepsValues => Percentile || Entropy;

    public override string ToString() => Entropy ? "Entropy" : Percentile ? "Percentile " + P.ToString("0.###", CultureInfo.InvariantCulture) : "MinMax";
}

/// <summary>
/// Quantize="int8": Conv, Gemm and MatMul with constant float weights become QuantizedConv/QuantizedMatMul on
/// symmetric per-output-channel int8 weights. Without calibration data, activations are quantized to uint8 per call
/// from their range (dynamic quantization, as ONNX Runtime's quantize_dynamic). With calibration data, the float graph
/// runs at compile time on the samples (<see cref="FloatInterpreter"/>): each layer's input range gives a static scale
/// and zero point baked into the code, and each layer's int8 output is measured against its float output.
/// Accuracy gate, MinSqnrDb: a layer whose int8 weights (always) or int8 output (with calibration) measure a lower
/// signal-to-quantization-noise ratio stays float. Every layer's outcome and reason is in <see cref="Graph.Quantization"/>.
/// </summary>
internal static class Int8Quantization
{
    /// <summary>MinSqnrDb's default: per-channel int8 weights of trained layers measure about 35-45 dB; far below is an outlier.</summary>
    public const double DefaultMinSqnrDb = 30;

    /// <summary>At most this many values per layer input are kept for the Percentile method (a deterministic stride beyond).</summary>
    private const int PercentileSampleLimit = 1 << 20;

    /// <summary>A layer whose weights were quantized, not yet placed in the graph.</summary>
    private sealed class Candidate
    {
        public Candidate(int index, Node original, Node replacement, float[] dequantizedWeights, float[] scales, double weightSqnr)
        {
            Index = index;
            Original = original;
            Replacement = replacement;
            DequantizedWeights = dequantizedWeights;
            Scales = scales;
            WeightSqnr = weightSqnr;
        }

        public int Index { get; }
        public Node Original { get; }
        public Node Replacement { get; }
        /// <summary>q * scale in the original weight's layout and shape: what the int8 layer effectively multiplies by.</summary>
        public float[] DequantizedWeights { get; }
        public float[] Scales { get; }
        public double WeightSqnr { get; }
        public RangeStats? Range { get; set; }
        public float InputScale { get; set; }
        public int InputZeroPoint { get; set; }
        public double Signal { get; set; }
        public double Noise { get; set; }
    }

    public static Graph Run(Graph graph, double minSqnrDb = DefaultMinSqnrDb, CalibrationSet? calibration = null, CalibrationMethod? method = null, CancellationToken ct = default)
    {
        var records = new LayerQuantization?[graph.Nodes.Count];
        var candidates = new List<Candidate>();
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            if (node is { OpType: "MoE", Domain: "com.microsoft" } && node.Guards.Count == 0)
            {
                if (MoE(graph, node, minSqnrDb) is { } moe) graph.Nodes[i] = moe;
                continue;
            }
            if (node.Domain.Length != 0 || node.Guards.Count > 0) continue;
            var (candidate, skipped) = node.OpType switch
            {
                "Conv" => Conv(graph, i, node, minSqnrDb),
                "Gemm" => Gemm(graph, i, node, minSqnrDb),
                "MatMul" => MatMul(graph, i, node, minSqnrDb),
                _ => (null, null),
            };
            if (candidate is not null) candidates.Add(candidate);
            records[i] = skipped;
        }
        if (calibration is not null && candidates.Count > 0) Calibrate(graph, candidates, calibration, method ?? new CalibrationMethod(false, 100), ct);
        string dbText(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
        string minText = minSqnrDb.ToString("0.#", CultureInfo.InvariantCulture);
        foreach (var c in candidates)
        {
            var replacement = c.Replacement;
            string reason;
            double outputSqnr = double.NaN;
            if (calibration is null) reason = "int8 weights per output channel, uint8 activations quantized per call";
            else if (c.Range is not { Samples: > 0 } range)
                reason = "int8 weights per output channel, uint8 activations quantized per call: calibration could not evaluate its input at compile time" +
                    (c.Range?.Blocker is { } blocker ? $" ({blocker.Display} has no compile-time evaluation)" : "");
            else
            {
                outputSqnr = c.Noise == 0 ? double.PositiveInfinity : c.Signal == 0 ? double.NegativeInfinity : 10 * System.Math.Log10(c.Signal / c.Noise);
                if (outputSqnr < minSqnrDb)
                {
                    records[c.Index] = new LayerQuantization(c.Original.Name, c.Original.OpType, false,
                        $"its int8 output measures {dbText(outputSqnr)} dB SQNR against float on {range.Samples} calibration samples, below MinSqnrDb {minText}",
                        c.Scales.Length, c.Scales.Min(), c.Scales.Max(), c.WeightSqnr, c.InputScale, c.InputZeroPoint, outputSqnr);
                    continue;
                }
                replacement.Attributes["x_scale"] = new AttributeProto { Name = "x_scale", Type = AttributeProto.Types.AttributeType.Float, F = c.InputScale };
                replacement.Attributes["x_zero_point"] = new AttributeProto { Name = "x_zero_point", Type = AttributeProto.Types.AttributeType.Int, I = c.InputZeroPoint };
                // The bias in int32 with scale x_scale * w_scale[ch], added to the int32 sums (as ONNX Runtime's static QDQ models).
                if (replacement.HasInput(3) && Int32Bias(graph.Values[replacement.Inputs[3]].Constant!.ToFloats(), c.InputScale, c.Scales) is { } intBias)
                    replacement.Inputs[3] = GraphEdit.AddConstant(graph, c.Original.Inputs[1] + "_bias_int32", new Tensor(DataType.Int32, new[] { intBias.Length }, intBias));
                reason = $"int8 weights per output channel, uint8 activations with a static scale ({method ?? new CalibrationMethod(false, 100)} over {range.Samples} calibration samples)" +
                    (replacement.HasInput(3) && graph.Values[replacement.Inputs[3]].Type == DataType.Int32 ? ", int32 bias" : "");
            }
            graph.Nodes[c.Index] = replacement;
            records[c.Index] = new LayerQuantization(c.Original.Name, c.Original.OpType, true, reason,
                c.Scales.Length, c.Scales.Min(), c.Scales.Max(), c.WeightSqnr, replacement.Attributes.ContainsKey("x_scale") ? c.InputScale : 0f, c.InputZeroPoint, outputSqnr);
        }
        foreach (var r in records) if (r is not null) graph.Quantization.Add(r);
        return graph;
    }

    /// <summary>
    /// Runs the float graph on every calibration sample twice: first to find each candidate's input range (its static
    /// scale and zero point), then to measure each candidate's int8 output (input quantized with that scale, weights
    /// dequantized) against its float output.
    /// </summary>
    private static void Calibrate(Graph graph, List<Candidate> candidates, CalibrationSet calibration, CalibrationMethod method, CancellationToken ct)
    {
        var byNode = candidates.ToDictionary(c => c.Original);
        foreach (var c in candidates)
        {
            long perSample = Shape.Elements(graph.Values[c.Original.Inputs[0]].RequireShape);
            c.Range = new RangeStats(method.KeepsValues ? (int)System.Math.Max(1, (perSample * calibration.Count + PercentileSampleLimit - 1) / PercentileSampleLimit) : 0);
        }
        var interpreter = new FloatInterpreter(graph);
        Dictionary<string, Node>? producers = null;
        var sample = new Dictionary<string, float[]>(System.StringComparer.Ordinal);
        for (int s = 0; s < calibration.Count; s++)
        {
            foreach (var kv in calibration.Samples) sample[kv.Key] = kv.Value[s];
            interpreter.Run(sample, (node, ctx) =>
            {
                if (byNode.TryGetValue(node, out var c)) c.Range!.Add(ctx.Const(0)!.ToFloats());
            }, ct);
            foreach (var c in candidates)
                if (c.Range!.Samples == 0 && c.Range.Blocker is null && interpreter.Unevaluated.Count > 0)
                    c.Range.Blocker = Blocker(producers ??= graph.Producers(), c.Original, interpreter.Unevaluated);
        }
        foreach (var c in candidates)
        {
            if (c.Range!.Samples == 0) continue;
            var (lo, hi) = c.Range.Bounds(method);
            lo = System.Math.Min(lo, 0f);
            hi = System.Math.Max(hi, 0f);
            float scale = (hi - lo) / 255f;
            if (!(scale >= 1e-30f)) scale = 1f / 255f; // an input that is always 0: any scale represents it exactly
            c.InputScale = scale;
            c.InputZeroPoint = (int)System.Math.Max(0, System.Math.Min(255, System.Math.Round(-lo / scale, System.MidpointRounding.ToEven)));
        }
        for (int s = 0; s < calibration.Count; s++)
        {
            foreach (var kv in calibration.Samples) sample[kv.Key] = kv.Value[s];
            interpreter.Run(sample, (node, ctx) =>
            {
                if (!byNode.TryGetValue(node, out var c) || c.Range!.Samples == 0) return;
                var x = ctx.Const(0)!;
                var xq = FakeQuantize(x.ToFloats(), c.InputScale, c.InputZeroPoint);
                var w = graph.Values[node.Inputs[1]].Constant!;
                var yq = interpreter.EvaluateWith(node, new Dictionary<int, Tensor>
                {
                    [0] = Tensor.FromFloats(x.Shape, xq),
                    [1] = Tensor.FromFloats(w.Shape, c.DequantizedWeights),
                });
                var y = ctx.Output(0).Constant!.ToFloats();
                if (yq is null) return;
                double signal = 0, noise = 0;
                for (int i = 0; i < y.Length; i++)
                {
                    double e = y[i] - (double)yq[i];
                    signal += (double)y[i] * y[i];
                    noise += e * e;
                }
                c.Signal += signal;
                c.Noise += noise;
            }, ct);
        }
    }

    /// <summary>
    /// round(bias[ch] / (xScale * wScales[ch])) as int32, or null when a value does not fit (a bias far larger than the
    /// layer's products: it stays a float bias, added after scaling).
    /// </summary>
    private static int[]? Int32Bias(float[] bias, float xScale, float[] wScales)
    {
        var q = new int[bias.Length];
        for (int j = 0; j < bias.Length; j++)
        {
            double v = System.Math.Round(bias[j] / ((double)xScale * wScales[j]), System.MidpointRounding.ToEven);
            if (!(System.Math.Abs(v) <= 1 << 30)) return null; // also NaN (a zero weight scale); the headroom keeps the sums from overflowing
            q[j] = (int)v;
        }
        return q;
    }

    /// <summary>The first node that could not be evaluated among those the layer's input depends on, or null.</summary>
    private static Node? Blocker(Dictionary<string, Node> producers, Node layer, List<Node> unevaluated)
    {
        var ancestors = new HashSet<Node>();
        var pending = new Stack<string>();
        pending.Push(layer.Inputs[0]);
        while (pending.Count > 0)
            if (producers.TryGetValue(pending.Pop(), out var p) && ancestors.Add(p))
                foreach (var i in p.Inputs) if (i.Length > 0) pending.Push(i);
        return unevaluated.FirstOrDefault(ancestors.Contains);
    }

    /// <summary>x quantized to uint8 with a static scale and zero point (saturating, ties to even, as the kernel) and back to float.</summary>
    private static float[] FakeQuantize(float[] x, float scale, int zero)
    {
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            float q = (float)System.Math.Round(x[i] / scale, System.MidpointRounding.ToEven) + zero;
            q = System.Math.Max(0f, System.Math.Min(255f, q));
            y[i] = (q - zero) * scale;
        }
        return y;
    }

    /// <summary>The values one layer input took over the calibration samples: min, max, and for Percentile a strided sample.</summary>
    private sealed class RangeStats
    {
        private readonly int _stride;
        private readonly List<float> _kept = new();
        private long _seen;
        private float _min = float.PositiveInfinity, _max = float.NegativeInfinity;

        public RangeStats(int stride) => _stride = stride;

        /// <summary>Samples observed.</summary>
        public int Samples { get; private set; }
        /// <summary>The node that stopped the compile-time run before this layer, if any.</summary>
        public Node? Blocker { get; set; }

        public void Add(float[] values)
        {
            Samples++;
            foreach (var v in values)
            {
                if (v < _min) _min = v;
                if (v > _max) _max = v;
                if (_stride > 0 && _seen++ % _stride == 0) _kept.Add(v);
            }
        }

        public (float Lo, float Hi) Bounds(CalibrationMethod method)
        {
            if (!method.KeepsValues || _kept.Count == 0) return (_min, _max);
            if (method.Entropy) return EntropyCalibration.Bounds(_kept, _min, _max);
            var sorted = _kept.ToArray();
            System.Array.Sort(sorted);
            float At(double q) => sorted[(int)System.Math.Min(sorted.Length - 1, System.Math.Max(0, System.Math.Round(q * (sorted.Length - 1))))];
            return (At(1 - method.P / 100), At(method.P / 100));
        }
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

    private static (Candidate?, LayerQuantization?) Skip(Node node, string reason) =>
        (null, new LayerQuantization(node.Name, node.OpType, false, reason, 0, 0f, 0f, double.NaN));

    private static (Candidate?, LayerQuantization?) Propose(Graph graph, int index, Node node, string opType, sbyte[] q, int[] qShape, float[] scales, float[]? bias,
        float[] dequantized, double sqnr, double minSqnrDb)
    {
        if (sqnr < minSqnrDb)
            return (null, new LayerQuantization(node.Name, node.OpType, false,
                $"int8 weights measure {sqnr.ToString("F1", CultureInfo.InvariantCulture)} dB SQNR, below MinSqnrDb {minSqnrDb.ToString("0.#", CultureInfo.InvariantCulture)}",
                scales.Length, scales.Min(), scales.Max(), sqnr));
        var replacement = new Node(opType, QuantizedMatMulOp.OpDomain, node.Name, 1);
        replacement.Inputs.Add(node.Inputs[0]);
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[1] + "_int8", new Tensor(DataType.Int8, qShape, q)));
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[1] + "_scale", Tensor.FromFloats(new[] { scales.Length }, scales)));
        if (bias is not null) replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[1] + "_bias", Tensor.FromFloats(new[] { bias.Length }, bias)));
        replacement.Outputs.Add(node.Outputs[0]);
        if (opType == "QuantizedConv")
            foreach (var attr in node.Attributes) replacement.Attributes[attr.Key] = attr.Value;
        replacement.Fused.AddRange(node.Fused);
        replacement.Activation = node.Activation;
        return (new Candidate(index, node, replacement, dequantized, scales, sqnr), null);
    }

    private static (Candidate?, LayerQuantization?) Conv(Graph graph, int index, Node node, double minSqnrDb)
    {
        var x = graph.Values[node.Inputs[0]];
        var w = Const(graph, node, 1);
        if (x.Type != DataType.Float || w is null || w.Type != DataType.Float) return Skip(node, "weights computed at run time");
        if (node.HasInput(2) && Const(graph, node, 2) is null) return Skip(node, "bias computed at run time");
        int m = w.Shape[0], block = w.Length / (m == 0 ? 1 : m);
        int group = (int)(node.Attributes.TryGetValue("group", out var g) ? g.I : 1);
        if (w.Shape.Length > 1 && w.Shape[1] == 1 && group == m && group > 1) return Skip(node, "depthwise: the float kernel is faster than an int8 im2col");
        var wf = w.ToFloats();
        var (q, scales) = Int8Weights.Quantize(wf, m, i => i / block);
        var dequantized = new float[q.Length];
        for (int i = 0; i < q.Length; i++) dequantized[i] = q[i] * scales[i / block];
        return Propose(graph, index, node, "QuantizedConv", q, w.Shape, scales, Const(graph, node, 2)?.ToFloats(), dequantized, SqnrDb(wf, q, scales, i => i / block), minSqnrDb);
    }

    private static (Candidate?, LayerQuantization?) Gemm(Graph graph, int index, Node node, double minSqnrDb)
    {
        var a = graph.Values[node.Inputs[0]];
        var b = Const(graph, node, 1);
        if (a.Type != DataType.Float || b is null || b.Type != DataType.Float) return Skip(node, "weights computed at run time");
        long Attr(string name, long fallback) => node.Attributes.TryGetValue(name, out var v) ? v.I : fallback;
        float AttrF(string name) => node.Attributes.TryGetValue(name, out var v) ? v.F : 1f;
        if (Attr("transA", 0) != 0) return Skip(node, "transA");
        bool transB = Attr("transB", 0) != 0;
        int k = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
        float alpha = AttrF("alpha"), beta = node.Attributes.ContainsKey("beta") ? AttrF("beta") : 1f;
        float[]? bias = null;
        if (node.HasInput(2))
        {
            var c = Const(graph, node, 2);
            if (c is null) return Skip(node, "C computed at run time");
            if (c.Length != 1 && !(c.Length == n && c.Shape.Length >= 1 && c.Shape[c.Shape.Length - 1] == n)) return Skip(node, "C is not one value per column");
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
        var dequantized = new float[bv.Length];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++) dequantized[transB ? j * k + p : p * n + j] = q[p * n + j] * scales[j];
        for (int j = 0; j < n; j++) scales[j] *= alpha;
        return Propose(graph, index, node, "QuantizedMatMul", q, new[] { k, n }, scales, bias, dequantized, sqnr, minSqnrDb);
    }

    private static (Candidate?, LayerQuantization?) MatMul(Graph graph, int index, Node node, double minSqnrDb)
    {
        var a = graph.Values[node.Inputs[0]];
        var b = Const(graph, node, 1);
        if (a.Type != DataType.Float || b is null || b.Type != DataType.Float) return Skip(node, "weights computed at run time");
        if (b.Shape.Length != 2 || a.RequireShape.Length < 2) return Skip(node, "not a 2-D weight matrix");
        int n = b.Shape[1];
        var bf = b.ToFloats();
        var (q, scales) = Int8Weights.Quantize(bf, n, i => i % n);
        var dequantized = new float[q.Length];
        for (int i = 0; i < q.Length; i++) dequantized[i] = q[i] * scales[i % n];
        return Propose(graph, index, node, "QuantizedMatMul", q, b.Shape, scales, null, dequantized, SqnrDb(bf, q, scales, i => i % n), minSqnrDb);
    }

    /// <summary>
    /// An MoE's experts: every expert's fc1 and fc2 on int8 weights per output channel (one scale per expert and output
    /// row); one report row per expert with its ROM before and after. Kept float when any expert's weights fall below minSqnrDb.
    /// </summary>
    /// <summary>An MoE left float: its report row (MoE nodes are not calibration candidates).</summary>
    private static Node? SkipMoE(Graph graph, Node node, string reason)
    {
        graph.Quantization.Add(new LayerQuantization(node.Name, node.OpType, false, reason, 0, 0f, 0f, double.NaN));
        return null;
    }

    private static Node? MoE(Graph graph, Node node, double minSqnrDb)
    {
        var fc1 = Const(graph, node, 2);
        var fc2 = Const(graph, node, 4);
        if (fc1 is null || fc2 is null || fc1.Type != DataType.Float || fc2.Type != DataType.Float || fc1.Shape.Length != 3 || fc2.Shape.Length != 3)
            return SkipMoE(graph, node, "expert weights computed at run time");
        if (node.HasInput(6) || node.HasInput(7) || (node.Attributes.TryGetValue("activation_type", out var act) && act.S.ToStringUtf8() == "swiglu"))
            return SkipMoE(graph, node, "fc3 or swiglu experts");
        if ((node.HasInput(3) && Const(graph, node, 3) is null) || (node.HasInput(5) && Const(graph, node, 5) is null)) return SkipMoE(graph, node, "expert biases computed at run time");
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
