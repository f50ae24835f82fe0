// Convolution with pruned constant weights: im2col columns in the packed-panel layout (as Conv2D with scratch), then
// per output channel only its nonzero weights, each broadcast and multiplied into whole panels of 16 output pixels.
using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

public static partial class Conv
{
    /// <summary>
    /// y = activation(conv(x, W) + bias) for group 1, where W [m, c*kH*kW] is given compressed by output channel: channel oc's
    /// nonzero weights are values[channelStart[oc] .. channelStart[oc+1]) at depth positions depthIndex[...] (depth index
    /// r = (ic * kH + kh) * kW + kw). Scratch as for <see cref="ScratchFloats"/> (at least one 16-pixel panel of columns).
    /// The zero weights cost nothing: each nonzero is one broadcast multiply-add per 16 output pixels.
    /// </summary>
    public static void Conv2DSparse(ReadOnlySpan<float> x, ReadOnlySpan<int> channelStart, ReadOnlySpan<int> depthIndex, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, Span<float> y, int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, Span<float> scratch, Activation activation) =>
        Conv2DSparse(x, channelStart, depthIndex, values, bias, y, n, c, h, w, m, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW,
            scratch, activation, Gemm.PanelWidth);

    /// <summary>The same with vectors of at most maxWidth floats (16: AVX-512, 8: AVX2 FMA, less: scalar), for tests.</summary>
    internal static unsafe void Conv2DSparse(ReadOnlySpan<float> x, ReadOnlySpan<int> channelStart, ReadOnlySpan<int> depthIndex, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, Span<float> y, int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, Span<float> scratch, Activation activation, int maxWidth)
    {
        int depth = c * kH * kW, outPlane = oH * oW, inPlane = h * w, panel = Gemm.PanelWidth;
        if (n <= 0 || m <= 0 || outPlane == 0) return;
        if (x.Length < n * c * inPlane || y.Length < n * m * outPlane || channelStart.Length < m + 1 || (!bias.IsEmpty && bias.Length < m))
            ThrowHelper.Argument("A span is shorter than its shape.");
        int nonzeros = channelStart[m];
        if (channelStart[0] != 0 || nonzeros > depthIndex.Length || nonzeros > values.Length) ThrowHelper.Argument("channelStart does not describe depthIndex and values.");
        for (int oc = 0; oc < m; oc++)
            if (channelStart[oc] > channelStart[oc + 1]) ThrowHelper.Argument("channelStart decreases.");
        for (int e = 0; e < nonzeros; e++)
            if ((uint)depthIndex[e] >= (uint)depth) ThrowHelper.Argument("A depth index is outside [0, c*kH*kW).");
        int block = depth == 0 ? 0 : (int)Math.Min(scratch.Length / depth / panel * panel, (long)(outPlane + panel - 1) / panel * panel);
        if (block < panel) ThrowHelper.Argument("scratch holds less than one panel of columns.");
        var geometry = new Geometry(h, w, kH, kW, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, inPlane, 1);
        bool gather = Avx2.IsSupported && (oW < GatherBelowWidth || strideW != 1);
        float* tail = stackalloc float[panel];
        fixed (float* px = x, pv = values, pb = bias, py = y, ps = scratch)
        fixed (int* pStart = channelStart, pIndex = depthIndex)
        {
            for (int img = 0; img < n; img++)
            {
                float* yi = py + (nint)img * m * outPlane;
                for (int p0 = 0; p0 < outPlane; p0 += block)
                {
                    int pixels = Math.Min(block, outPlane - p0);
                    if (gather) PackColumnsGather(px + (nint)img * c * inPlane, c, geometry, p0, pixels, ps);
                    else PackColumns(px + (nint)img * c * inPlane, c, geometry, p0, pixels, ps);
                    int panels = (pixels + panel - 1) / panel;
                    // Four panels (64 pixels) at a time, every filter over them while their columns are in cache.
                    for (int q0 = 0; q0 < panels; q0 += 4)
                    {
                        float* group = ps + (nint)q0 * depth * panel;
                        int groupPanels = Math.Min(4, panels - q0), groupPixels = Math.Min(4 * panel, pixels - q0 * panel);
                        for (int oc = 0; oc < m; oc++)
                        {
                            int start = pStart[oc], count = pStart[oc + 1] - start;
                            float b = bias.IsEmpty ? 0f : pb[oc];
                            SparsePanels(group, depth, groupPanels, groupPixels, pIndex + start, pv + start, count, b,
                                yi + (nint)oc * outPlane + p0 + q0 * panel, tail, maxWidth);
                        }
                    }
                }
            }
        }
        activation.Apply(y.Slice(0, n * m * outPlane));
    }

    /// <summary>out[p] = b + sum_e values[e] * cols[index[e], p] for p &lt; pixels, cols in panels of 16 (see PackColumns).</summary>
    // Tier-0 code would call the vector intrinsics instead of inlining them (about 5x slower here).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SparsePanels(float* cols, int depth, int panels, int pixels, int* index, float* values, int count, float b, float* output, float* tail, int maxWidth)
    {
        nint panelStride = (nint)depth * Gemm.PanelWidth;
        int q = 0;
        if (Avx512F.IsSupported && maxWidth >= 16)
        {
            // Four panels per pass: four independent multiply-add chains (the FMA latency is covered), and each broadcast
            // weight feeds four 16-wide multiply-adds. Missing panels past the end repeat the last one and are not stored.
            for (; q < panels; q += 4)
            {
                float* p0 = cols + q * panelStride;
                float* p1 = q + 1 < panels ? p0 + panelStride : p0;
                float* p2 = q + 2 < panels ? p0 + 2 * panelStride : p0;
                float* p3 = q + 3 < panels ? p0 + 3 * panelStride : p0;
                Vector512<float> acc0 = Vector512.Create(b), acc1 = acc0, acc2 = acc0, acc3 = acc0;
                for (int e = 0; e < count; e++)
                {
                    var v = Vector512.Create(values[e]);
                    nint r = (nint)index[e] * Gemm.PanelWidth;
                    acc0 = Avx512F.FusedMultiplyAdd(v, Avx512F.LoadVector512(p0 + r), acc0);
                    acc1 = Avx512F.FusedMultiplyAdd(v, Avx512F.LoadVector512(p1 + r), acc1);
                    acc2 = Avx512F.FusedMultiplyAdd(v, Avx512F.LoadVector512(p2 + r), acc2);
                    acc3 = Avx512F.FusedMultiplyAdd(v, Avx512F.LoadVector512(p3 + r), acc3);
                }
                Store(acc0, output + q * Gemm.PanelWidth, pixels - q * Gemm.PanelWidth, tail);
                if (q + 1 < panels) Store(acc1, output + (q + 1) * Gemm.PanelWidth, pixels - (q + 1) * Gemm.PanelWidth, tail);
                if (q + 2 < panels) Store(acc2, output + (q + 2) * Gemm.PanelWidth, pixels - (q + 2) * Gemm.PanelWidth, tail);
                if (q + 3 < panels) Store(acc3, output + (q + 3) * Gemm.PanelWidth, pixels - (q + 3) * Gemm.PanelWidth, tail);
            }
            return;
        }
        if (Fma.IsSupported && maxWidth >= 8)
        {
            // Two panels per pass (four 8-wide chains).
            for (; q < panels; q += 2)
            {
                float* p0 = cols + q * panelStride;
                float* p1 = q + 1 < panels ? p0 + panelStride : p0;
                Vector256<float> lo0 = Vector256.Create(b), hi0 = lo0, lo1 = lo0, hi1 = lo0;
                for (int e = 0; e < count; e++)
                {
                    var v = Vector256.Create(values[e]);
                    nint r = (nint)index[e] * Gemm.PanelWidth;
                    lo0 = Fma.MultiplyAdd(v, Avx.LoadVector256(p0 + r), lo0);
                    hi0 = Fma.MultiplyAdd(v, Avx.LoadVector256(p0 + r + 8), hi0);
                    lo1 = Fma.MultiplyAdd(v, Avx.LoadVector256(p1 + r), lo1);
                    hi1 = Fma.MultiplyAdd(v, Avx.LoadVector256(p1 + r + 8), hi1);
                }
                lo0.Store(tail);
                hi0.Store(tail + 8);
                Copy(tail, output + q * Gemm.PanelWidth, pixels - q * Gemm.PanelWidth);
                if (q + 1 < panels)
                {
                    lo1.Store(tail);
                    hi1.Store(tail + 8);
                    Copy(tail, output + (q + 1) * Gemm.PanelWidth, pixels - (q + 1) * Gemm.PanelWidth);
                }
            }
            return;
        }
        for (; q < panels; q++)
        {
            float* p = cols + q * panelStride;
            for (int lane = 0; lane < Gemm.PanelWidth; lane++) tail[lane] = b;
            for (int e = 0; e < count; e++)
            {
                float v = values[e];
                float* r = p + (nint)index[e] * Gemm.PanelWidth;
                for (int lane = 0; lane < Gemm.PanelWidth; lane++) tail[lane] += v * r[lane];
            }
            Copy(tail, output + q * Gemm.PanelWidth, pixels - q * Gemm.PanelWidth);
        }
    }

    private static unsafe void Store(Vector512<float> v, float* output, int valid, float* tail)
    {
        if (valid >= Gemm.PanelWidth)
        {
            v.Store(output);
            return;
        }
        v.Store(tail);
        Copy(tail, output, valid);
    }

    private static unsafe void Copy(float* from, float* to, int count)
    {
        if (count > Gemm.PanelWidth) count = Gemm.PanelWidth;
        for (int i = 0; i < count; i++) to[i] = from[i];
    }
}
