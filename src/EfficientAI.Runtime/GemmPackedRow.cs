// One row against an operand packed by Gemm.PackB (a batch-1 GEMV: an MoE expert at one token). The packed panels lie
// one after another, k rows of 16 floats each, so reading panel after panel over its whole depth reads the weights as
// one sequential stream in memory order: no k blocking (one row of A fits in L1 and is never reused), no second panel
// side by side. A software prefetch runs a fixed distance ahead of the stream and, past its end, into the next
// weights the caller will read (the next expert layer), so that layer's first pages are on their way when it starts.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

public static partial class Gemm
{
    /// <summary>How far ahead of the weight stream the row kernel prefetches, in bytes.</summary>
    internal const int RowPrefetchBytes = 2048;

    /// <summary>
    /// y[j] = act(sum_p x[p] * B[p, j] + bias[j]) for the columns of panels [panel0, panel1) of B packed by
    /// <see cref="PackB"/> for (k, n); y and bias are indexed by column (y + j), bias may be null. Activations that
    /// are not <see cref="Activation.InRegisters"/> are applied to those columns at the end. next (may be null) is
    /// prefetched from its start once the prefetch distance passes the end of these panels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void RowPacked(float* x, float* packed, float* bias, float* y, int n, int k, int panel0, int panel1,
        Activation activation, float* next = null, int maxWidth = MaxVectorWidth)
    {
        if (panel1 <= panel0) return;
        float* tile = stackalloc float[PanelWidth];
        float* streamEnd = packed + (nint)panel1 * k * PanelWidth;
        for (int q = panel0; q < panel1; q++)
        {
            float* b = packed + (nint)q * k * PanelWidth;
            if (maxWidth >= 16 && Simd512.IsSupported) Panel512(x, b, k, tile, streamEnd, next);
            else if (maxWidth >= 8 && Simd256.IsSupported) Panel256(x, b, k, tile, streamEnd, next);
            else if (maxWidth >= 4 && Simd128.IsSupported) Panel128(x, b, k, tile, streamEnd, next);
            else PanelScalar(x, b, k, tile);
            int j0 = q * PanelWidth, width = Math.Min(PanelWidth, n - j0);
            for (int j = 0; j < width; j++)
            {
                float v = tile[j] + (bias == null ? 0f : bias[j0 + j]);
                y[j0 + j] = activation.Kind switch
                {
                    ActivationKind.Relu => MathF.Max(v, 0f),
                    ActivationKind.LeakyRelu => v < 0f ? activation.Alpha * v : v,
                    ActivationKind.Clip => MathF.Min(MathF.Max(v, activation.Alpha), activation.Beta),
                    _ => v,
                };
            }
        }
        if (!activation.InRegisters)
        {
            int j0 = panel0 * PanelWidth;
            activation.Apply(new Span<float>(y + j0, Math.Min(n, panel1 * PanelWidth) - j0));
        }
    }

    /// <summary>Where to prefetch: ahead in this stream, or past its end into next (or nowhere useful: the current line).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float* PrefetchTarget(float* b, float* streamEnd, float* next)
    {
        float* ahead = b + RowPrefetchBytes / sizeof(float);
        if (ahead < streamEnd) return ahead;
        return next == null ? b : next + (ahead - streamEnd);
    }

    // 16 columns are one vector: four k phases with their own accumulators (four FMA chains), 256 bytes (4 lines) a step.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Panel512(float* x, float* b, int k, float* tile, float* streamEnd, float* next)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        int p = 0;
        for (; p + 4 <= k; p += 4, b += 4 * PanelWidth)
        {
            float* pf = PrefetchTarget(b, streamEnd, next);
            Sse.Prefetch0(pf);
            Sse.Prefetch0(pf + 16);
            Sse.Prefetch0(pf + 32);
            Sse.Prefetch0(pf + 48);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[p]), Vector512.Load(b), c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[p + 1]), Vector512.Load(b + 16), c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[p + 2]), Vector512.Load(b + 32), c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[p + 3]), Vector512.Load(b + 48), c3);
        }
        for (; p < k; p++, b += PanelWidth) c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[p]), Vector512.Load(b), c0);
        ((c0 + c1) + (c2 + c3)).Store(tile);
    }

    // Two vectors per row, four k phases: eight chains.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Panel256(float* x, float* b, int k, float* tile, float* streamEnd, float* next)
    {
        Vector256<float> c0 = default, c1 = default, d0 = default, d1 = default, e0 = default, e1 = default, f0 = default, f1 = default;
        int p = 0;
        for (; p + 4 <= k; p += 4, b += 4 * PanelWidth)
        {
            if (Sse.IsSupported)
            {
                float* pf = PrefetchTarget(b, streamEnd, next);
                Sse.Prefetch0(pf);
                Sse.Prefetch0(pf + 16);
                Sse.Prefetch0(pf + 32);
                Sse.Prefetch0(pf + 48);
            }
            var av = Vector256.Create(x[p]);
            c0 = Simd256.Fma(av, Vector256.Load(b), c0); c1 = Simd256.Fma(av, Vector256.Load(b + 8), c1);
            av = Vector256.Create(x[p + 1]);
            d0 = Simd256.Fma(av, Vector256.Load(b + 16), d0); d1 = Simd256.Fma(av, Vector256.Load(b + 24), d1);
            av = Vector256.Create(x[p + 2]);
            e0 = Simd256.Fma(av, Vector256.Load(b + 32), e0); e1 = Simd256.Fma(av, Vector256.Load(b + 40), e1);
            av = Vector256.Create(x[p + 3]);
            f0 = Simd256.Fma(av, Vector256.Load(b + 48), f0); f1 = Simd256.Fma(av, Vector256.Load(b + 56), f1);
        }
        for (; p < k; p++, b += PanelWidth)
        {
            var av = Vector256.Create(x[p]);
            c0 = Simd256.Fma(av, Vector256.Load(b), c0); c1 = Simd256.Fma(av, Vector256.Load(b + 8), c1);
        }
        ((c0 + d0) + (e0 + f0)).Store(tile);
        ((c1 + d1) + (e1 + f1)).Store(tile + 8);
    }

    // Four vectors per row, two k phases: eight chains.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Panel128(float* x, float* b, int k, float* tile, float* streamEnd, float* next)
    {
        Vector128<float> c0 = default, c1 = default, c2 = default, c3 = default, d0 = default, d1 = default, d2 = default, d3 = default;
        int p = 0;
        for (; p + 2 <= k; p += 2, b += 2 * PanelWidth)
        {
            if (Sse.IsSupported)
            {
                float* pf = PrefetchTarget(b, streamEnd, next);
                Sse.Prefetch0(pf);
                Sse.Prefetch0(pf + 16);
            }
            var av = Vector128.Create(x[p]);
            c0 = Simd128.Fma(av, Vector128.Load(b), c0); c1 = Simd128.Fma(av, Vector128.Load(b + 4), c1);
            c2 = Simd128.Fma(av, Vector128.Load(b + 8), c2); c3 = Simd128.Fma(av, Vector128.Load(b + 12), c3);
            av = Vector128.Create(x[p + 1]);
            d0 = Simd128.Fma(av, Vector128.Load(b + 16), d0); d1 = Simd128.Fma(av, Vector128.Load(b + 20), d1);
            d2 = Simd128.Fma(av, Vector128.Load(b + 24), d2); d3 = Simd128.Fma(av, Vector128.Load(b + 28), d3);
        }
        for (; p < k; p++, b += PanelWidth)
        {
            var av = Vector128.Create(x[p]);
            c0 = Simd128.Fma(av, Vector128.Load(b), c0); c1 = Simd128.Fma(av, Vector128.Load(b + 4), c1);
            c2 = Simd128.Fma(av, Vector128.Load(b + 8), c2); c3 = Simd128.Fma(av, Vector128.Load(b + 12), c3);
        }
        (c0 + d0).Store(tile);
        (c1 + d1).Store(tile + 4);
        (c2 + d2).Store(tile + 8);
        (c3 + d3).Store(tile + 12);
    }

    private static unsafe void PanelScalar(float* x, float* b, int k, float* tile)
    {
        for (int j = 0; j < PanelWidth; j++) tile[j] = 0f;
        for (int p = 0; p < k; p++, b += PanelWidth)
        {
            float a = x[p];
            for (int j = 0; j < PanelWidth; j++) tile[j] += a * b[j];
        }
    }
}
