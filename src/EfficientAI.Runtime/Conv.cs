// Direct convolution without scratch memory. For unit column stride, each (output row, kernel tap) is a small
// GEMM over channels (weights [mg x cg] times cg input row slices), so the register-blocked GEMM kernel
// does the work on strided views; padding is handled by clipping the output column range per kernel column.
using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace EfficientAI.Runtime;

/// <summary>Convolution.</summary>
public static partial class Conv
{
    /// <summary>
    /// 2-D convolution (1-D callers pass h = kH = oH = 1). x [n, c, h, w]; weight [m, c/group, kH, kW];
    /// bias [m] or empty; y [n, m, oH, oW]. Padding given as top/left offsets; the output size already
    /// accounts for bottom/right padding. Out-of-range input positions read as zero.
    /// </summary>
    public static unsafe void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int group)
    {
        if (group <= 0 || c % group != 0 || m % group != 0) ThrowHelper.Argument("c and m must be multiples of group.");
        int cg = c / group, mg = m / group;
        int inPlane = h * w, outPlane = oH * oW, taps = kH * kW;
        if (x.Length < n * c * inPlane || weight.Length < m * cg * taps || y.Length < n * m * outPlane
            || (!bias.IsEmpty && bias.Length < m))
        {
            ThrowHelper.Argument("A span is shorter than its shape.");
        }
        if (outPlane == 0) return;

        for (int img = 0; img < n; img++)
        {
            Span<float> yImage = y.Slice(img * m * outPlane, m * outPlane);
            for (int oc = 0; oc < m; oc++) yImage.Slice(oc * outPlane, outPlane).Fill(bias.IsEmpty ? 0f : bias[oc]);
        }
        if (cg == 0 || taps == 0) return;

        bool pointwise = kH == 1 && kW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 && oH == h && oW == w;
        fixed (float* px = x, pw = weight, py = y)
        {
            for (int img = 0; img < n; img++)
            {
                for (int g = 0; g < group; g++)
                {
                    float* xg = px + (nint)(img * c + g * cg) * inPlane;
                    float* wg = pw + (nint)g * mg * cg * taps;
                    float* yg = py + (nint)(img * m + g * mg) * outPlane;
                    if (pointwise)
                    {
                        // 1x1: y[mg, hw] += w[mg, cg] * x[cg, hw], one GEMM per group.
                        Gemm.AccumulateNN(wg, cg, 1, xg, inPlane, yg, outPlane, mg, outPlane, cg, 1f);
                    }
                    else if (cg == 1 && mg == 1)
                    {
                        // 512-bit rows only where they are wide: the columns past the last whole vector run scalar.
                        if (strideW == 1 && oW >= 64 && Simd512.IsSupported)
                            DepthwiseRows<Simd512, System.Runtime.Intrinsics.Vector512<float>>(xg, wg, yg, h, w, kH, kW, oH, oW, strideH, padTop, padLeft, dilationH, dilationW);
                        else if (strideW == 1 && Simd256.IsSupported)
                            DepthwiseRows<Simd256, System.Runtime.Intrinsics.Vector256<float>>(xg, wg, yg, h, w, kH, kW, oH, oW, strideH, padTop, padLeft, dilationH, dilationW);
                        else
                            Depthwise(xg, wg, yg, h, w, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW);
                    }
                    else if (strideW == 1)
                    {
                        UnitColumnStride(xg, wg, yg, cg, mg, h, w, kH, kW, oH, oW, strideH, padTop, padLeft, dilationH, dilationW);
                    }
                    else
                    {
                        General(xg, wg, yg, cg, mg, h, w, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW);
                    }
                }
            }
        }
    }

    private static unsafe void UnitColumnStride(float* x, float* wt, float* y, int cg, int mg, int h, int w, int kH, int kW,
        int oH, int oW, int strideH, int padTop, int padLeft, int dilationH, int dilationW)
    {
        int taps = kH * kW;
        for (int oh = 0; oh < oH; oh++)
        {
            for (int kh = 0; kh < kH; kh++)
            {
                int ih = oh * strideH - padTop + kh * dilationH;
                if ((uint)ih >= (uint)h) continue;
                for (int kw = 0; kw < kW; kw++)
                {
                    int offset = kw * dilationW - padLeft;
                    int first = FirstValid(offset, 1);
                    int end = EndValid(offset, 1, w, oW);
                    if (first >= end) continue;
                    Gemm.AccumulateNN(wt + kh * kW + kw, cg * taps, taps,
                        x + (nint)ih * w + first + offset, (nint)h * w,
                        y + (nint)oh * oW + first, (nint)oH * oW, mg, end - first, cg, 1f);
                }
            }
        }
    }

    /// <summary>
    /// Depthwise, unit column stride: each output row is accumulated in registers over all its taps and stored once
    /// (y holds the bias), instead of one pass over the row per tap. Columns whose taps reach into the padding run
    /// scalar with bounds checks.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DepthwiseRows<TS, TV>(float* x, float* wt, float* y, int h, int w, int kH, int kW, int oH, int oW,
        int strideH, int padTop, int padLeft, int dilationH, int dilationW) where TS : struct, ISimd<TV> where TV : struct
    {
        int vw = TS.Count;
        // Output columns whose every tap is inside the row: ow - padLeft >= 0 and ow - padLeft + (kW-1)*dilationW < w.
        int lo = Math.Min(oW, padLeft), hi = Math.Max(lo, Math.Min(oW, w + padLeft - (kW - 1) * dilationW));
        for (int oh = 0; oh < oH; oh++)
        {
            float* yRow = y + (nint)oh * oW;
            int khFirst = 0, khEnd = kH;
            while (khFirst < kH && (uint)(oh * strideH - padTop + khFirst * dilationH) >= (uint)h) khFirst++;
            while (khEnd > khFirst && (uint)(oh * strideH - padTop + (khEnd - 1) * dilationH) >= (uint)h) khEnd--;
            // The interior in the widest vectors, its remainder in narrower ones: only the padding columns run scalar.
            int ow = DepthwiseInterior<TS, TV>(x, wt, yRow, w, kW, oh * strideH - padTop, khFirst, khEnd, padLeft, dilationH, dilationW, lo, hi);
            if (vw > 8 && Simd256.IsSupported)
                ow = DepthwiseInterior<Simd256, System.Runtime.Intrinsics.Vector256<float>>(x, wt, yRow, w, kW, oh * strideH - padTop, khFirst, khEnd, padLeft, dilationH, dilationW, ow, hi);
            if (vw > 4 && Simd128.IsSupported)
                ow = DepthwiseInterior<Simd128, System.Runtime.Intrinsics.Vector128<float>>(x, wt, yRow, w, kW, oh * strideH - padTop, khFirst, khEnd, padLeft, dilationH, dilationW, ow, hi);
            for (int o = 0; o < oW; o++)
            {
                if (o == lo) o = ow; // the vectorized range is done
                if (o >= oW) break;
                float sum = yRow[o];
                for (int kh = khFirst; kh < khEnd; kh++)
                {
                    float* xr = x + (nint)(oh * strideH - padTop + kh * dilationH) * w;
                    for (int kw = 0; kw < kW; kw++)
                    {
                        int iw = o - padLeft + kw * dilationW;
                        if ((uint)iw < (uint)w) sum += wt[kh * kW + kw] * xr[iw];
                    }
                }
                yRow[o] = sum;
            }
        }
    }

    /// <summary>Output columns [ow, hi) of one depthwise row, whole vectors of TV only; returns where it stopped.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static unsafe int DepthwiseInterior<TS, TV>(float* x, float* wt, float* yRow, int w, int kW, int top, int khFirst, int khEnd,
        int padLeft, int dilationH, int dilationW, int ow, int hi) where TS : struct, ISimd<TV> where TV : struct
    {
        int vw = TS.Count;
        // Four vectors at a time: independent accumulators hide the FMA latency a single chain of kH x kW taps waits on.
        for (; ow + 4 * vw <= hi; ow += 4 * vw)
        {
            TV a0 = TS.Load(yRow + ow), a1 = TS.Load(yRow + ow + vw), a2 = TS.Load(yRow + ow + 2 * vw), a3 = TS.Load(yRow + ow + 3 * vw);
            for (int kh = khFirst; kh < khEnd; kh++)
            {
                float* xr = x + (nint)(top + kh * dilationH) * w + ow - padLeft;
                float* wk = wt + kh * kW;
                for (int kw = 0; kw < kW; kw++)
                {
                    TV wv = TS.Splat(wk[kw]);
                    float* xp = xr + kw * dilationW;
                    a0 = TS.Fma(wv, TS.Load(xp), a0);
                    a1 = TS.Fma(wv, TS.Load(xp + vw), a1);
                    a2 = TS.Fma(wv, TS.Load(xp + 2 * vw), a2);
                    a3 = TS.Fma(wv, TS.Load(xp + 3 * vw), a3);
                }
            }
            TS.Store(yRow + ow, a0);
            TS.Store(yRow + ow + vw, a1);
            TS.Store(yRow + ow + 2 * vw, a2);
            TS.Store(yRow + ow + 3 * vw, a3);
        }
        for (; ow + vw <= hi; ow += vw)
        {
            TV acc = TS.Load(yRow + ow);
            for (int kh = khFirst; kh < khEnd; kh++)
            {
                float* xr = x + (nint)(top + kh * dilationH) * w + ow - padLeft;
                float* wk = wt + kh * kW;
                for (int kw = 0; kw < kW; kw++) acc = TS.Fma(TS.Splat(wk[kw]), TS.Load(xr + kw * dilationW), acc);
            }
            TS.Store(yRow + ow, acc);
        }
        return ow;
    }

    private static unsafe void Depthwise(float* x, float* wt, float* y, int h, int w, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW)
    {
        for (int kh = 0; kh < kH; kh++)
        {
            int rowOffset = kh * dilationH - padTop;
            int ohFirst = FirstValid(rowOffset, strideH), ohEnd = EndValid(rowOffset, strideH, h, oH);
            for (int kw = 0; kw < kW; kw++)
            {
                int colOffset = kw * dilationW - padLeft;
                int owFirst = FirstValid(colOffset, strideW), owEnd = EndValid(colOffset, strideW, w, oW);
                if (owFirst >= owEnd) continue;
                float wv = wt[kh * kW + kw];
                int count = owEnd - owFirst;
                for (int oh = ohFirst; oh < ohEnd; oh++)
                {
                    float* xRow = x + (nint)(oh * strideH + rowOffset) * w + owFirst * strideW + colOffset;
                    float* yRow = y + (nint)oh * oW + owFirst;
                    if (strideW == 1)
                    {
                        var yr = new Span<float>(yRow, count);
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(xRow, count), wv, yr, yr);
                    }
                    else
                    {
                        for (int i = 0; i < count; i++) yRow[i] += wv * xRow[i * strideW];
                    }
                }
            }
        }
    }

    // Strided columns cannot use contiguous vector loads; plain loops over the clipped ranges.
    private static unsafe void General(float* x, float* wt, float* y, int cg, int mg, int h, int w, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW)
    {
        int taps = kH * kW;
        for (int oc = 0; oc < mg; oc++)
        {
            float* yPlane = y + (nint)oc * oH * oW;
            for (int ic = 0; ic < cg; ic++)
            {
                float* xPlane = x + (nint)ic * h * w;
                float* wk = wt + (nint)(oc * cg + ic) * taps;
                for (int kh = 0; kh < kH; kh++)
                {
                    int rowOffset = kh * dilationH - padTop;
                    int ohFirst = FirstValid(rowOffset, strideH), ohEnd = EndValid(rowOffset, strideH, h, oH);
                    for (int kw = 0; kw < kW; kw++)
                    {
                        int colOffset = kw * dilationW - padLeft;
                        int owFirst = FirstValid(colOffset, strideW), owEnd = EndValid(colOffset, strideW, w, oW);
                        float wv = wk[kh * kW + kw];
                        for (int oh = ohFirst; oh < ohEnd; oh++)
                        {
                            float* xRow = xPlane + (nint)(oh * strideH + rowOffset) * w + colOffset;
                            float* yRow = yPlane + (nint)oh * oW;
                            for (int ow = owFirst; ow < owEnd; ow++) yRow[ow] += wv * xRow[ow * strideW];
                        }
                    }
                }
            }
        }
    }

    /// <summary>Smallest output index o &gt;= 0 with o * stride + offset &gt;= 0.</summary>
    internal static int FirstValid(int offset, int stride) => offset >= 0 ? 0 : (-offset + stride - 1) / stride;

    /// <summary>Smallest output index o (at most outSize) with o * stride + offset &gt;= size; never below 0.</summary>
    internal static int EndValid(int offset, int stride, int size, int outSize)
    {
        int room = size - offset;
        return room <= 0 ? 0 : Math.Min(outSize, (room + stride - 1) / stride);
    }

    /// <summary>
    /// Direct convolution over any number of spatial axes (3-D and more; 1-D and 2-D have Conv2D):
    /// x [n, c, inShape...], w [m, c / group, kernel...], bias [m] or empty, y [n, m, outShape...].
    /// </summary>
    [SkipLocalsInit]
    public static void ConvND(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int n, int c, int m,
        ReadOnlySpan<int> inShape, ReadOnlySpan<int> outShape, ReadOnlySpan<int> kernel, ReadOnlySpan<int> strides, ReadOnlySpan<int> padBegin,
        ReadOnlySpan<int> dilations, int group)
    {
        int r = inShape.Length;
        if (r == 0 || r > Shapes.MaxRank || outShape.Length != r || kernel.Length != r || strides.Length != r || padBegin.Length != r || dilations.Length != r)
            ThrowHelper.Argument("The window arguments must have one value per spatial axis.");
        if (group <= 0 || c % group != 0 || m % group != 0) ThrowHelper.Argument("group must divide the channel counts.");
        int inPlane = 1, outPlane = 1, window = 1;
        for (int d = 0; d < r; d++)
        {
            inPlane *= inShape[d];
            outPlane *= outShape[d];
            window *= kernel[d];
        }
        int cg = c / group, mg = m / group;
        if (x.Length < (long)n * c * inPlane || w.Length < (long)m * cg * window || y.Length < (long)n * m * outPlane || (!bias.IsEmpty && bias.Length < m))
            ThrowHelper.Argument("A span is shorter than its shape.");
        Span<int> o = stackalloc int[r];
        Span<int> k = stackalloc int[r];
        for (int b = 0; b < n; b++)
        {
            for (int mm = 0; mm < m; mm++)
            {
                int g = mm / mg;
                o.Clear();
                for (int at = 0; at < outPlane; at++)
                {
                    float sum = bias.IsEmpty ? 0f : bias[mm];
                    k.Clear();
                    for (int kn = 0; kn < window; kn++)
                    {
                        int offset = 0;
                        bool inside = true;
                        for (int d = 0; d < r; d++)
                        {
                            int p = o[d] * strides[d] - padBegin[d] + k[d] * dilations[d];
                            if (p < 0 || p >= inShape[d]) inside = false;
                            offset = offset * inShape[d] + p;
                        }
                        if (inside)
                            for (int cc = 0; cc < cg; cc++)
                                sum += w[(mm * cg + cc) * window + kn] * x[(b * c + g * cg + cc) * inPlane + offset];
                        for (int d = r - 1; d >= 0 && ++k[d] == kernel[d]; d--) k[d] = 0;
                    }
                    y[(b * m + mm) * outPlane + at] = sum;
                    for (int d = r - 1; d >= 0 && ++o[d] == outShape[d]; d--) o[d] = 0;
                }
            }
        }
    }
}
