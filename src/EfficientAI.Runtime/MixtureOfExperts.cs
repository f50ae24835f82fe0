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
    /// <summary>Floats of scratch <see cref="Compute"/> needs (gated: swiglu, whose fc1 gives 2 inter values per token).</summary>
    public static long ScratchFloats(int tokens, int experts, int k, int hidden, int inter, bool gated = false) =>
        experts + 3L * tokens * k + (long)tokens * (2L * hidden + (gated ? 2L : 1L) * inter);

    /// <summary>
    /// y[t] = sum over the k experts e with the largest p = softmax(routerLogits[t]) of w_e * fc2_e(act(fc1_e(x[t]))),
    /// where w_e = p_e, or p_e / (sum of the k chosen p) when normalize. x and y are [tokens, hidden], routerLogits
    /// [tokens, experts]; fc1Packed holds per expert its [hidden -> inter] weights packed by
    /// <see cref="Gemm.PackB"/> (expert e at e * Gemm.PackedLength(hidden, inter)), fc1Bias [experts, inter] or empty;
    /// fc2 likewise for [inter -> hidden]. Equal probabilities rank the higher expert index first (ONNX Runtime's MoE
    /// kernel does the same); a routing weight of 0 skips the expert. y must not overlap x. With
    /// <see cref="ExpertActivation.SwiGlu"/>, fc1 is [hidden -> 2 inter] (fc1Bias [experts, 2 inter]) and
    /// <paramref name="alpha"/>, <paramref name="beta"/> and <paramref name="limit"/> are the swiglu's.
    /// </summary>
    public static void Compute(ReadOnlySpan<float> x, ReadOnlySpan<float> routerLogits,
        ReadOnlySpan<float> fc1Packed, ReadOnlySpan<float> fc1Bias, ReadOnlySpan<float> fc2Packed, ReadOnlySpan<float> fc2Bias,
        Span<float> y, Span<float> scratch, int tokens, int experts, int k, int hidden, int inter, ExpertActivation activation, bool normalize,
        float alpha = 1f, float beta = 0f, float limit = float.PositiveInfinity)
    {
        if (tokens <= 0 || hidden <= 0) return;
        if (experts <= 0 || k <= 0 || k > experts || inter <= 0) ThrowHelper.Argument("experts, k or inter is out of range.");
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
        var expertRoutes = MemoryMarshal.Cast<float, int>(scratch.Slice(experts + 2 * routes, routes));
        int rest = experts + 3 * routes;
        var gathered = scratch.Slice(rest, tokens * hidden);
        var middle = scratch.Slice(rest + tokens * hidden, tokens * width);
        var expertOut = scratch.Slice(rest + tokens * (hidden + width), tokens * hidden);

        Route(routerLogits, probs, routeScale, routeExpert, tokens, experts, k, normalize);

        y.Slice(0, tokens * hidden).Clear();
        var fused = activation switch
        {
            ExpertActivation.Relu => Activation.Relu,
            ExpertActivation.Gelu => new Activation(ActivationKind.GeluTanh),
            ExpertActivation.GeluErf => new Activation(ActivationKind.Gelu),
            _ => Activation.None,
        };
        for (int e = 0; e < experts; e++)
        {
            // The routes (token * k + slot) that chose e, in token order; a token chooses an expert at most once.
            int rows = 0;
            for (int r = 0; r < routes; r++)
            {
                if (routeExpert[r] == e && routeScale[r] > 0f) expertRoutes[rows++] = r;
            }
            if (rows == 0) continue;
            for (int i = 0; i < rows; i++) x.Slice(expertRoutes[i] / k * hidden, hidden).CopyTo(gathered.Slice(i * hidden, hidden));
            var h = middle.Slice(0, rows * width);
            Gemm.ComputePacked(gathered.Slice(0, rows * hidden), fc1Packed.Slice(e * fc1Stride, fc1Stride),
                fc1Bias.IsEmpty ? default : fc1Bias.Slice(e * width, width), h, rows, width, hidden, fused);
            if (activation == ExpertActivation.Silu) Elementwise.Unary(UnaryOp.Swish, h, h, 0f, 0f);
            if (gated)
            {
                // In place: output i of row r lands at r * inter + i, at or before its inputs at 2 (r * inter + i).
                for (int i = 0; i < rows * inter; i++)
                {
                    float gate = MathF.Min(h[2 * i], limit), linear = Math.Clamp(h[2 * i + 1], -limit, limit);
                    h[i] = gate / (1f + MathF.Exp(-alpha * gate)) * (linear + beta);
                }
                h = h.Slice(0, rows * inter);
            }
            var o = expertOut.Slice(0, rows * hidden);
            Gemm.ComputePacked(h, fc2Packed.Slice(e * fc2Stride, fc2Stride),
                fc2Bias.IsEmpty ? default : fc2Bias.Slice(e * hidden, hidden), o, rows, hidden, inter, Activation.None);
            for (int i = 0; i < rows; i++)
            {
                int route = expertRoutes[i];
                // y += w * o, vectorized.
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(o.Slice(i * hidden, hidden), routeScale[route],
                    y.Slice(route / k * hidden, hidden), y.Slice(route / k * hidden, hidden));
            }
        }
    }

    /// <summary>Floats of scratch <see cref="ComputeInt8"/> needs: <see cref="ScratchFloats"/> and the int8 GEMM's bytes.</summary>
    public static long ScratchFloatsInt8(int tokens, int experts, int k, int hidden, int inter) =>
        ScratchFloats(tokens, experts, k, hidden, inter) + (Int8GemmScratchBytes(tokens, hidden, inter) + 3) / 4;

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
