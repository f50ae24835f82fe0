// Mixture of experts with sparse dispatch: per token, softmax over the router logits and the top k experts; then per
// expert, only the tokens routed to it are gathered and run through fc1 -> activation -> fc2 with the packed GEMM
// (a GEMV for one token), and the routing-weighted result is added into the output. Experts no token chose cost
// nothing, so the time follows k, not the number of experts. All working memory is the caller's scratch.
using System;
using System.Runtime.InteropServices;

namespace EfficientAI.Runtime;

/// <summary>The activation between an expert's two layers (ONNX Runtime's MoE activation_type).</summary>
public enum ExpertActivation
{
    /// <summary>identity</summary>
    Identity,
    /// <summary>max(x, 0)</summary>
    Relu,
    /// <summary>GELU, tanh approximation: x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))</summary>
    Gelu,
    /// <summary>x * sigmoid(x)</summary>
    Silu,
    /// <summary>GELU as defined, x * 0.5 * (1 + erf(x / sqrt(2))): an exported erf GELU expert (not an ONNX Runtime MoE activation)</summary>
    GeluErf,
    /// <summary>
    /// ONNX Runtime's swiglu (swiglu_fusion=1): fc1 gives 2 inter values per token, interleaved (gate, linear); with gate
    /// clamped above and linear clamped both ways at the limit, h = gate * sigmoid(alpha * gate) * (linear + beta). Its
    /// defaults (alpha 1, beta 0, no limit) are SwiGLU: silu(gate) * linear.
    /// </summary>
    SwiGlu,
}

/// <summary>Top-k routed mixture-of-experts layers.</summary>
public static class MixtureOfExperts
{
    /// <summary>
    /// Floats of scratch <see cref="Compute"/> needs (gated: swiglu, whose fc1 gives 2 inter values per token): the
    /// routing, and per route (token, chosen expert) its gathered input, its fc1 output and its fc2 output, so every
    /// chosen expert's layers can run side by side.
    /// </summary>
    public static long ScratchFloats(int tokens, int experts, int k, int hidden, int inter, bool gated = false)
    {
        long routes = (long)tokens * k;
        return 2L * experts + 1 + 3 * routes + routes * (2L * hidden + (gated ? 2L : 1L) * inter);
    }

    /// <summary>
    /// y[t] = sum over the k experts e with the largest p = softmax(routerLogits[t]) of w_e * fc2_e(act(fc1_e(x[t]))),
    /// where w_e = p_e, or p_e / (sum of the k chosen p) when normalize. x and y are [tokens, hidden], routerLogits
    /// [tokens, experts]; fc1Packed holds per expert its [hidden -> inter] weights packed by
    /// <see cref="Gemm.PackB"/> (expert e at e * Gemm.PackedLength(hidden, inter)), fc1Bias [experts, inter] or empty;
    /// fc2 likewise for [inter -> hidden]. Equal probabilities rank the higher expert index first (ONNX Runtime's MoE
    /// kernel does the same); a routing weight of 0 skips the expert. y must not overlap x. With
    /// <see cref="ExpertActivation.SwiGlu"/>, fc1 is [hidden -> 2 inter] (fc1Bias [experts, 2 inter]) and
    /// <paramref name="alpha"/>, <paramref name="beta"/> and <paramref name="limit"/> are the swiglu's. With
    /// <paramref name="threads"/> &gt; 1 the chosen experts' layers are split by output columns among the calling
    /// thread and <see cref="Workers"/>' pool (each core streams its own share of the weights).
    /// </summary>
    public static unsafe void Compute(ReadOnlySpan<float> x, ReadOnlySpan<float> routerLogits,
        ReadOnlySpan<float> fc1Packed, ReadOnlySpan<float> fc1Bias, ReadOnlySpan<float> fc2Packed, ReadOnlySpan<float> fc2Bias,
        Span<float> y, Span<float> scratch, int tokens, int experts, int k, int hidden, int inter, ExpertActivation activation, bool normalize,
        float alpha = 1f, float beta = 0f, float limit = float.PositiveInfinity, int threads = 1)
    {
        if (tokens <= 0 || hidden <= 0) return;
        if (experts <= 0 || k <= 0 || k > experts || inter <= 0) ThrowHelper.Argument("experts, k or inter is out of range.");
        if (threads < 1) ThrowHelper.Argument("threads must be at least 1.");
        bool gated = activation == ExpertActivation.SwiGlu;
        int width = gated ? 2 * inter : inter; // fc1's outputs
        int fc1Stride = Gemm.PackedLength(hidden, width), fc2Stride = Gemm.PackedLength(inter, hidden);
        if (x.Length < tokens * hidden || y.Length < tokens * hidden || routerLogits.Length < tokens * experts
            || fc1Packed.Length < experts * fc1Stride || fc2Packed.Length < experts * fc2Stride
            || (!fc1Bias.IsEmpty && fc1Bias.Length < experts * width) || (!fc2Bias.IsEmpty && fc2Bias.Length < experts * hidden)
            || scratch.Length < ScratchFloats(tokens, experts, k, hidden, inter, gated))
            ThrowHelper.Argument("A span is shorter than its shape.");

        int routes = tokens * k;
        var probs = scratch.Slice(0, experts);
        var routeScale = scratch.Slice(experts, routes);
        var routeExpert = MemoryMarshal.Cast<float, int>(scratch.Slice(experts + routes, routes));
        var order = MemoryMarshal.Cast<float, int>(scratch.Slice(experts + 2 * routes, routes));
        var start = MemoryMarshal.Cast<float, int>(scratch.Slice(experts + 3 * routes, experts + 1));
        int rest = 2 * experts + 1 + 3 * routes;
        var gathered = scratch.Slice(rest, routes * hidden);
        var middle = scratch.Slice(rest + routes * hidden, routes * width);
        var expertOut = scratch.Slice(rest + routes * (hidden + width), routes * hidden);

        Route(routerLogits, probs, routeScale, routeExpert, tokens, experts, k, normalize);

        // The chosen experts (ids over probs, which routing no longer needs) and their routes grouped, in expert then
        // token order: expert active[a] has routes order[start[a] .. start[a + 1]); a token chooses an expert at most once.
        var active = MemoryMarshal.Cast<float, int>(probs);
        int count = 0, total = 0;
        for (int e = 0; e < experts; e++)
        {
            int first = total;
            for (int r = 0; r < routes; r++)
            {
                if (routeExpert[r] == e && routeScale[r] > 0f) order[total++] = r;
            }
            if (total == first) continue;
            active[count] = e;
            start[count++] = first;
        }
        start[count] = total;
        for (int i = 0; i < total; i++) x.Slice(order[i] / k * hidden, hidden).CopyTo(gathered.Slice(i * hidden, hidden));

        y.Slice(0, tokens * hidden).Clear();
        if (count == 0) return;
        var fused = activation switch
        {
            ExpertActivation.Relu => Activation.Relu,
            ExpertActivation.Gelu => new Activation(ActivationKind.GeluTanh),
            ExpertActivation.GeluErf => new Activation(ActivationKind.Gelu),
            _ => Activation.None,
        };
        fixed (float* px = gathered, pm = middle, po = expertOut, pw1 = fc1Packed, pb1 = fc1Bias, pw2 = fc2Packed, pb2 = fc2Bias)
        fixed (int* pa = active, ps = start)
        {
            int panels1 = (width + Gemm.PanelWidth - 1) / Gemm.PanelWidth, panels2 = (hidden + Gemm.PanelWidth - 1) / Gemm.PanelWidth;
            var job = new ExpertJob
            {
                Gathered = px, Middle = pm, Out = po, Fc1 = pw1, Fc1Bias = fc1Bias.IsEmpty ? null : pb1, Fc2 = pw2, Fc2Bias = fc2Bias.IsEmpty ? null : pb2,
                Active = pa, Start = ps, Count = count, Hidden = hidden, Width = width, Inter = inter, Fc1Stride = fc1Stride, Fc2Stride = fc2Stride,
                Chunks1 = Chunks(threads, panels1), Chunks2 = Chunks(threads, panels2), Panels1 = panels1, Panels2 = panels2,
                Threads = threads, Fused = fused, Silu = activation == ExpertActivation.Silu,
            };
            Workers.For(threads, count * job.Chunks1, &FirstLayer, &job);
            if (gated)
            {
                // Per route, in place: output i lands at i, at or before its inputs at 2i and 2i + 1, and rows are
                // compacted in order, so nothing is overwritten before it is read.
                for (int i = 0; i < total * inter; i++)
                {
                    float gate = MathF.Min(middle[2 * i], limit), linear = Math.Clamp(middle[2 * i + 1], -limit, limit);
                    middle[i] = gate / (1f + MathF.Exp(-alpha * gate)) * (linear + beta);
                }
            }
            Workers.For(threads, count * job.Chunks2, &SecondLayer, &job);
        }
        for (int i = 0; i < total; i++)
        {
            int route = order[i];
            // y += w * o, vectorized.
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(expertOut.Slice(i * hidden, hidden), routeScale[route],
                y.Slice(route / k * hidden, hidden), y.Slice(route / k * hidden, hidden));
        }
    }

    // With several threads each layer is cut into four chunks per thread: a worker that wakes late still finds a share
    // left (the caller takes chunks meanwhile), and a chunk of the size is still a 512 KB sequential stream.
    private static int Chunks(int threads, int panels) => threads <= 1 ? 1 : Math.Min(4 * threads, panels);

    /// <summary>What the two layer loops of <see cref="Compute"/> share: one item is one chosen expert's columns chunk.</summary>
    private unsafe struct ExpertJob
    {
        public float* Gathered, Middle, Out, Fc1, Fc1Bias, Fc2, Fc2Bias;
        public int* Active, Start;
        public int Count, Hidden, Width, Inter, Fc1Stride, Fc2Stride, Chunks1, Chunks2, Panels1, Panels2, Threads;
        public Activation Fused;
        public bool Silu;

        /// <summary>
        /// The weights of the item a participant is likely to take after item (first layer's items, then the second's):
        /// the one <see cref="Threads"/> further on, whose start the row kernel prefetches while it finishes.
        /// </summary>
        public float* After(int item)
        {
            item += Threads;
            if (item < Count * Chunks1) return Fc1 + (nint)Active[item / Chunks1] * Fc1Stride + (nint)(item % Chunks1 * Panels1 / Chunks1) * Hidden * Gemm.PanelWidth;
            item -= Count * Chunks1;
            if (item < Count * Chunks2) return Fc2 + (nint)Active[item / Chunks2] * Fc2Stride + (nint)(item % Chunks2 * Panels2 / Chunks2) * Inter * Gemm.PanelWidth;
            return null;
        }
    }

    /// <summary>fc1 (and its activation) of one chosen expert's token group, for one chunk of its output panels.</summary>
    private static unsafe void FirstLayer(void* state, int item, int participant)
    {
        ref var job = ref *(ExpertJob*)state;
        int a = item / job.Chunks1, chunk = item % job.Chunks1;
        int q0 = chunk * job.Panels1 / job.Chunks1, q1 = (chunk + 1) * job.Panels1 / job.Chunks1;
        int first = job.Start[a], rows = job.Start[a + 1] - first, j0 = q0 * Gemm.PanelWidth, cols = Math.Min(job.Width, q1 * Gemm.PanelWidth) - j0;
        float* weights = job.Fc1 + (nint)job.Active[a] * job.Fc1Stride;
        float* bias = job.Fc1Bias == null ? null : job.Fc1Bias + (nint)job.Active[a] * job.Width;
        float* h = job.Middle + (nint)first * job.Width;
        if (rows == 1) Gemm.RowPacked(job.Gathered + (nint)first * job.Hidden, weights, bias, h, job.Width, job.Hidden, q0, q1, job.Fused, job.After(item));
        else Gemm.AccumulatePacked(job.Gathered + (nint)first * job.Hidden, job.Hidden, weights + (nint)q0 * job.Hidden * Gemm.PanelWidth,
            bias == null ? null : bias + j0, h + j0, job.Width, rows, cols, job.Hidden, job.Fused);
        if (job.Silu)
        {
            for (int r = 0; r < rows; r++)
            {
                var row = new Span<float>(h + (nint)r * job.Width + j0, cols);
                Elementwise.Unary(UnaryOp.Swish, row, row, 0f, 0f);
            }
        }
    }

    /// <summary>fc2 of one chosen expert's token group (fc1's activated output, inter wide), for one chunk of its output panels.</summary>
    private static unsafe void SecondLayer(void* state, int item, int participant)
    {
        ref var job = ref *(ExpertJob*)state;
        int a = item / job.Chunks2, chunk = item % job.Chunks2;
        int q0 = chunk * job.Panels2 / job.Chunks2, q1 = (chunk + 1) * job.Panels2 / job.Chunks2;
        int first = job.Start[a], rows = job.Start[a + 1] - first, j0 = q0 * Gemm.PanelWidth, cols = Math.Min(job.Hidden, q1 * Gemm.PanelWidth) - j0;
        float* weights = job.Fc2 + (nint)job.Active[a] * job.Fc2Stride;
        float* bias = job.Fc2Bias == null ? null : job.Fc2Bias + (nint)job.Active[a] * job.Hidden;
        float* h = job.Middle + (nint)first * job.Inter; // after swiglu's compaction rows are inter apart (width == inter otherwise)
        float* o = job.Out + (nint)first * job.Hidden;
        if (rows == 1) Gemm.RowPacked(h, weights, bias, o, job.Hidden, job.Inter, q0, q1, Activation.None, job.After(job.Count * job.Chunks1 + item));
        else Gemm.AccumulatePacked(h, job.Inter, weights + (nint)q0 * job.Inter * Gemm.PanelWidth, bias == null ? null : bias + j0, o + j0, job.Hidden,
            rows, cols, job.Inter, Activation.None);
    }

    /// <summary>Floats of scratch <see cref="ComputeInt8"/> needs: the routing, per token its gathered input, fc1 and fc2 outputs, and the int8 GEMM's bytes.</summary>
    public static long ScratchFloatsInt8(int tokens, int experts, int k, int hidden, int inter) =>
        experts + 3L * tokens * k + (long)tokens * (2L * hidden + inter) + (Int8GemmScratchBytes(tokens, hidden, inter) + 3) / 4;

    // ExpertLayer's scratch for the larger of the two layers: a's bytes in rows padded to four (64-aligned) and the int32 sums.
    private static long Int8GemmScratchBytes(int tokens, int hidden, int inter) =>
        ((long)tokens * Int8PanelGemm.RowStride(Math.Max(hidden, inter)) + 63 & ~63L) + 4L * tokens * Math.Max(hidden, inter);

    /// <summary>
    /// <see cref="Compute"/> on int8 expert weights (Quantize="int8", QMoE): per expert, fc1 and fc2 as symmetric int8
    /// weights (any value in [-128, 127]) packed by <see cref="Int8PanelGemm.PackB"/> (expert e at
    /// e * Int8PanelGemm.PackedLength(in, out)) with their column sums ([experts, out]) and per-output-channel scales
    /// ([experts, out]); each layer quantizes its input (the expert's token group) to uint8 per call (dynamic quantization).
    /// </summary>
    public static void ComputeInt8(ReadOnlySpan<float> x, ReadOnlySpan<float> routerLogits,
        ReadOnlySpan<sbyte> fc1Packed, ReadOnlySpan<int> fc1Sums, ReadOnlySpan<float> fc1Scales, ReadOnlySpan<float> fc1Bias,
        ReadOnlySpan<sbyte> fc2Packed, ReadOnlySpan<int> fc2Sums, ReadOnlySpan<float> fc2Scales, ReadOnlySpan<float> fc2Bias,
        Span<float> y, Span<float> scratch, int tokens, int experts, int k, int hidden, int inter, ExpertActivation activation, bool normalize)
    {
        if (tokens <= 0 || hidden <= 0) return;
        if (experts <= 0 || k <= 0 || k > experts || inter <= 0) ThrowHelper.Argument("experts, k or inter is out of range.");
        int fc1Stride = Int8PanelGemm.PackedLength(hidden, inter), fc2Stride = Int8PanelGemm.PackedLength(inter, hidden);
        if (x.Length < tokens * hidden || y.Length < tokens * hidden || routerLogits.Length < tokens * experts
            || fc1Packed.Length < experts * fc1Stride || fc2Packed.Length < experts * fc2Stride
            || fc1Sums.Length < experts * inter || fc1Scales.Length < experts * inter || fc2Sums.Length < experts * hidden || fc2Scales.Length < experts * hidden
            || (!fc1Bias.IsEmpty && fc1Bias.Length < experts * inter) || (!fc2Bias.IsEmpty && fc2Bias.Length < experts * hidden)
            || scratch.Length < ScratchFloatsInt8(tokens, experts, k, hidden, inter))
            ThrowHelper.Argument("A span is shorter than its shape.");

        int routes = tokens * k;
        var probs = scratch.Slice(0, experts);
        var routeScale = scratch.Slice(experts, routes);
        var routeExpert = MemoryMarshal.Cast<float, int>(scratch.Slice(experts + routes, routes));
        var expertRoutes = MemoryMarshal.Cast<float, int>(scratch.Slice(experts + 2 * routes, routes));
        int rest = experts + 3 * routes;
        var gathered = scratch.Slice(rest, tokens * hidden);
        var middle = scratch.Slice(rest + tokens * hidden, tokens * inter);
        var expertOut = scratch.Slice(rest + tokens * (hidden + inter), tokens * hidden);
        var gemmScratch = MemoryMarshal.AsBytes(scratch.Slice(rest + tokens * (2 * hidden + inter)));

        Route(routerLogits, probs, routeScale, routeExpert, tokens, experts, k, normalize);

        y.Slice(0, tokens * hidden).Clear();
        for (int e = 0; e < experts; e++)
        {
            int rows = 0;
            for (int r = 0; r < routes; r++)
            {
                if (routeExpert[r] == e && routeScale[r] > 0f) expertRoutes[rows++] = r;
            }
            if (rows == 0) continue;
            for (int i = 0; i < rows; i++) x.Slice(expertRoutes[i] / k * hidden, hidden).CopyTo(gathered.Slice(i * hidden, hidden));
            var h = middle.Slice(0, rows * inter);
            ExpertLayer(gathered.Slice(0, rows * hidden), fc1Packed.Slice(e * fc1Stride, fc1Stride), fc1Sums.Slice(e * inter, inter),
                fc1Scales.Slice(e * inter, inter), fc1Bias.IsEmpty ? default : fc1Bias.Slice(e * inter, inter), h, gemmScratch, rows, inter, hidden);
            switch (activation)
            {
                case ExpertActivation.Relu: Activation.Relu.Apply(h); break;
                case ExpertActivation.Gelu: new Activation(ActivationKind.GeluTanh).Apply(h); break;
                case ExpertActivation.GeluErf: new Activation(ActivationKind.Gelu).Apply(h); break;
                case ExpertActivation.Silu: Elementwise.Unary(UnaryOp.Swish, h, h, 0f, 0f); break;
            }
            var o = expertOut.Slice(0, rows * hidden);
            ExpertLayer(h, fc2Packed.Slice(e * fc2Stride, fc2Stride), fc2Sums.Slice(e * hidden, hidden),
                fc2Scales.Slice(e * hidden, hidden), fc2Bias.IsEmpty ? default : fc2Bias.Slice(e * hidden, hidden), o, gemmScratch, rows, hidden, inter);
            for (int i = 0; i < rows; i++)
            {
                int route = expertRoutes[i];
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(o.Slice(i * hidden, hidden), routeScale[route],
                    y.Slice(route / k * hidden, hidden), y.Slice(route / k * hidden, hidden));
            }
        }
    }

    /// <summary>
    /// One int8 expert layer on an [m, k] token group: a quantized to uint8 with a scale and zero point from its range
    /// (rows padded to four bytes), the int32 product with the panel-packed weights, y = sum * aScale * wScales[j] + bias[j].
    /// </summary>
    private static void ExpertLayer(ReadOnlySpan<float> a, ReadOnlySpan<sbyte> packed, ReadOnlySpan<int> colSums, ReadOnlySpan<float> wScales,
        ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch, int m, int n, int k)
    {
        int lda = Int8PanelGemm.RowStride(k);
        var aq = scratch.Slice(0, m * lda);
        Quantize.Dynamic(a.Slice(0, m * k), aq, out float aScale, out byte aZero);
        if (lda != k)
        {
            // Spread the rows to their padded stride, last first (each moves forward, over bytes already moved).
            for (int i = m - 1; i >= 0; i--)
            {
                aq.Slice(i * k, k).CopyTo(aq.Slice(i * lda, k));
                aq.Slice(i * lda + k, lda - k).Clear();
            }
        }
        var acc = MemoryMarshal.Cast<byte, int>(scratch.Slice((m * lda + 63) & ~63, 4 * m * n));
        Int8PanelGemm.Multiply(aq, lda, aZero, packed, colSums, acc, n, m, n, k);
        Quantize.ToFloat(acc, n, wScales, aScale, bias, y, m, n, false, false);
    }

    /// <summary>Per token: softmax of the logits, the k most probable experts (descending) and their weights.</summary>
    private static void Route(ReadOnlySpan<float> logits, Span<float> probs, Span<float> scale, Span<int> expert,
        int tokens, int experts, int k, bool normalize)
    {
        for (int t = 0; t < tokens; t++)
        {
            var l = logits.Slice(t * experts, experts);
            float max = l[0];
            for (int e = 1; e < experts; e++) max = MathF.Max(max, l[e]);
            float sum = 0f;
            for (int e = 0; e < experts; e++) sum += probs[e] = MathF.Exp(l[e] - max);
            for (int e = 0; e < experts; e++) probs[e] /= sum;
            float chosen = 0f;
            for (int j = 0; j < k; j++)
            {
                int best = -1;
                for (int e = 0; e < experts; e++)
                {
                    if (float.IsNegativeInfinity(probs[e])) continue;
                    if (best < 0 || probs[e] >= probs[best]) best = e;
                }
                if (best < 0) best = 0;
                expert[t * k + j] = best;
                scale[t * k + j] = probs[best];
                chosen += probs[best];
                probs[best] = float.NegativeInfinity; // taken
            }
            if (normalize)
            {
                for (int j = 0; j < k; j++) scale[t * k + j] /= chosen;
            }
        }
    }
}
