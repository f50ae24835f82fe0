// Convolution of few input channels (a network's first layer: RGB or RGBA, any kernel, stride and dilation) as an
// implicit GEMM without im2col. The input is copied once into zero-padded "phase planes": for strides sH x sW, plane
// (ic, a, b) holds x[ic][r sH + a - padTop][j sW + b - padLeft] at [r][j], so every tap (ic, kh, kw) reads the
// output row's pixels as one contiguous run of one plane, at a fixed offset. The micro-kernel then broadcasts
// weights and loads those runs in place: the GEMM's k loop walks a table of offsets instead of packed panels.
// im2col for such layers spent as long gathering its K = c kH kW (75 for 3 channels 5x5) rows as the GEMM took.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EfficientAI.Runtime;

public static partial class Conv
{
    /// <summary>The largest c * kH * kW the direct kernel takes (its offset table is on the stack).</summary>
    public const int DirectMaxDepth = 1024;

    /// <summary>Floats of scratch <see cref="Conv2DDirect"/> needs: the phase planes of one image (shared by all threads).</summary>
    public static long DirectScratchFloats(int c, int kH, int kW, int oH, int oW, int strideH, int strideW, int dilationH, int dilationW)
    {
        var (rows, width) = PhasePlane(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW);
        return (long)c * strideH * strideW * rows * width;
    }

    // Rows and width of one phase plane: the output's extent plus the largest tap shift, columns in whole 32-column
    // blocks so the micro-kernel's two-vector loads never leave the plane.
    private static (int Rows, int Width) PhasePlane(int kH, int kW, int oH, int oW, int strideH, int strideW, int dilationH, int dilationW) =>
        (oH + (kH - 1) * dilationH / strideH, (oW + DirectBlock - 1) / DirectBlock * DirectBlock + (kW - 1) * dilationW / strideW);

    // Output columns per micro-kernel tile at the widest vectors (two Vector512).
    private const int DirectBlock = 32;

    /// <summary>
    /// 2-D convolution (one group) by the direct implicit-GEMM kernel: x [n, c, h, w] (or [n, h, w, c] with
    /// <paramref name="channelsLast"/>), weight [m, c, kH, kW], bias [m] or empty, y [n, m, oH, oW]; scratch of at
    /// least <see cref="DirectScratchFloats"/>. With threads &gt; 1 the caller and pool workers share the output rows.
    /// </summary>
    public static unsafe void Conv2DDirect(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW, int strideH, int strideW, int padTop, int padLeft,
        int dilationH, int dilationW, Span<float> scratch, Activation activation, bool channelsLast = false, int threads = 1)
    {
        if (threads < 1 || strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1) ThrowHelper.Argument("threads, strides and dilations must be at least 1.");
        int depth = c * kH * kW;
        if (depth > DirectMaxDepth) ThrowHelper.Argument("c * kH * kW is above DirectMaxDepth.");
        if (x.Length < (long)n * c * h * w || weight.Length < (long)m * depth || y.Length < (long)n * m * oH * oW || (!bias.IsEmpty && bias.Length < m))
            ThrowHelper.Argument("A span is shorter than its shape.");
        if (scratch.Length < DirectScratchFloats(c, kH, kW, oH, oW, strideH, strideW, dilationH, dilationW)) ThrowHelper.Argument("scratch is too small.");
        if (n == 0 || m == 0 || oH <= 0 || oW <= 0) return;
        var (rows, width) = PhasePlane(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW);
        nint plane = (nint)rows * width;
        int* offsets = stackalloc int[Math.Max(1, depth)];
        for (int ic = 0, k = 0; ic < c; ic++)
            for (int kh = 0; kh < kH; kh++)
                for (int kw = 0; kw < kW; kw++, k++)
                {
                    int a = kh * dilationH % strideH, b = kw * dilationW % strideW;
                    offsets[k] = (int)(((ic * strideH + a) * strideW + b) * plane + kh * dilationH / strideH * width + kw * dilationW / strideW);
                }
        fixed (float* px = x, pw = weight, pb = bias, py = y, ps = scratch)
        {
            for (int img = 0; img < n; img++)
            {
                FillPhasePlanes(px + (nint)img * c * h * w, c, h, w, strideH, strideW, padTop, padLeft, rows, width, channelsLast, ps);
                var job = new DirectJob
                {
                    Planes = ps, W = pw, Bias = bias.IsEmpty ? null : pb, Y = py + (nint)img * m * oH * oW, Offsets = offsets,
                    Depth = depth, M = m, OH = oH, OW = oW, Width = width,
                    Activation = activation.InRegisters ? activation : Activation.None,
                };
                Workers.For(threads, oH, &DirectRow, &job);
            }
        }
        if (!activation.InRegisters) activation.Apply(y.Slice(0, n * m * oH * oW));
    }

    private static unsafe void FillPhasePlanes(float* x, int c, int h, int w, int strideH, int strideW, int padTop, int padLeft,
        int rows, int width, bool channelsLast, float* planes)
    {
        nint plane = (nint)rows * width;
        int channelStride = channelsLast ? 1 : h * w, pixelStride = channelsLast ? c : 1;
        for (int ic = 0; ic < c; ic++)
        {
            for (int a = 0; a < strideH; a++)
            {
                for (int b = 0; b < strideW; b++)
                {
                    float* dst = planes + ((ic * strideH + a) * strideW + b) * plane;
                    // Columns j with 0 <= j sW + b - padLeft < w.
                    int first = Math.Min(width, FirstValid(b - padLeft, strideW)), end = Math.Max(first, EndValid(b - padLeft, strideW, w, width));
                    for (int r = 0; r < rows; r++, dst += width)
                    {
                        int ih = r * strideH + a - padTop;
                        if ((uint)ih >= (uint)h)
                        {
                            new Span<float>(dst, width).Clear();
                            continue;
                        }
                        new Span<float>(dst, first).Clear();
                        float* src = x + (nint)ic * channelStride + ((nint)ih * w + first * strideW + b - padLeft) * pixelStride;
                        nint step = (nint)strideW * pixelStride;
                        if (step == 1) Buffer.MemoryCopy(src, dst + first, (end - first) * sizeof(float), (end - first) * sizeof(float));
                        else for (int j = first; j < end; j++, src += step) dst[j] = *src;
                        new Span<float>(dst + end, width - end).Clear();
                    }
                }
            }
        }
    }

    private unsafe struct DirectJob
    {
        public float* Planes, W, Bias, Y;
        public int* Offsets;
        public int Depth, M, OH, OW, Width;
        public Activation Activation;
    }

    private static unsafe void DirectRow(void* state, int oh, int participant)
    {
        if (Simd512.IsSupported) DirectRow<Simd512, Vector512<float>>(ref *(DirectJob*)state, oh);
        else if (Simd256.IsSupported) DirectRow<Simd256, Vector256<float>>(ref *(DirectJob*)state, oh);
        else DirectRow<Simd128, Vector128<float>>(ref *(DirectJob*)state, oh);
    }

    /// <summary>One output row: blocks of two vectors of columns, 6 (or 4) output channels at a time.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DirectRow<TS, TV>(ref DirectJob j, int oh) where TS : struct, ISimd<TV> where TV : struct
    {
        int vw = TS.Count, m = j.M;
        float* tail = stackalloc float[6 * 2 * 16];
        nint outPlane = (nint)j.OH * j.OW;
        for (int ow = 0; ow < j.OW; ow += 2 * vw)
        {
            int cols = Math.Min(2 * vw, j.OW - ow);
            float* b = j.Planes + (nint)oh * j.Width + ow;
            for (int oc = 0; oc < m;)
            {
                // Six rows of weights per tile, four where six would leave 1-3 rows over (64 channels: ten 6-row
                // tiles and a 4-row one; 32: four and two), one for the rest (12 accumulators reuse each input
                // vector six times, 8 only four).
                int left = m - oc;
                int rowsHere = left == 4 || left == 8 ? 4 : left >= 6 ? 6 : left >= 4 ? 4 : 1;
                float* yt = j.Y + oc * outPlane + (nint)oh * j.OW + ow;
                float* target = cols == 2 * vw ? yt : tail;
                nint ldt = cols == 2 * vw ? outPlane : 2 * vw;
                float* wt = j.W + (nint)oc * j.Depth;
                float* bias = j.Bias == null ? null : j.Bias + oc;
                if (rowsHere == 6) DirectTile<TS, TV, TileRows6>(wt, j.Depth, b, j.Offsets, target, ldt, bias, j.Activation);
                else if (rowsHere == 4) DirectTile<TS, TV, TileRows4>(wt, j.Depth, b, j.Offsets, target, ldt, bias, j.Activation);
                else DirectTile<TS, TV, TileRows1>(wt, j.Depth, b, j.Offsets, target, ldt, bias, j.Activation);
                if (target == tail)
                    for (int r = 0; r < rowsHere; r++)
                        new ReadOnlySpan<float>(tail + r * 2 * vw, cols).CopyTo(new Span<float>(yt + r * outPlane, cols));
                oc += rowsHere;
            }
        }
    }

    /// <summary>
    /// R rows x 2 vectors of output: y[r][col] = act(bias[r] + sum_p wt[r * depth + p] * b[offsets[p] + col]). The
    /// unused rows' accumulators are dead code once R is known.
    /// </summary>
    // Optimized on its own: three instantiations are too many to inline into DirectRow, and tier-0 code is slow.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DirectTile<TS, TV, R>(float* wt, int depth, float* b, int* offsets, float* y, nint ldy, float* bias, Activation act)
        where TS : struct, ISimd<TV> where TV : struct where R : struct, ITileRows
    {
        int vw = TS.Count;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TV c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Rows of weights from two pointers and the depth (rows 0-2 from w0, 3-5 from w3), advanced together: with a
        // pointer per row the JIT kept some of them on the stack and reloaded them every step.
        float* w0 = wt, w3 = wt + 3 * depth, end = wt + depth;
        nint ld = depth;
        for (; w0 < end; w0++, w3++, offsets++)
        {
            float* bp = b + *offsets;
            TV b0 = TS.Load(bp), b1 = TS.Load(bp + vw);
            TV av = TS.Splat(w0[0]);
            c00 = TS.Fma(av, b0, c00); c01 = TS.Fma(av, b1, c01);
            if (R.Count > 1)
            {
                av = TS.Splat(w0[ld]);
                c10 = TS.Fma(av, b0, c10); c11 = TS.Fma(av, b1, c11);
                av = TS.Splat(w0[2 * ld]);
                c20 = TS.Fma(av, b0, c20); c21 = TS.Fma(av, b1, c21);
                av = TS.Splat(w3[0]);
                c30 = TS.Fma(av, b0, c30); c31 = TS.Fma(av, b1, c31);
            }
            if (R.Count > 4)
            {
                av = TS.Splat(w3[ld]);
                c40 = TS.Fma(av, b0, c40); c41 = TS.Fma(av, b1, c41);
                av = TS.Splat(w3[2 * ld]);
                c50 = TS.Fma(av, b0, c50); c51 = TS.Fma(av, b1, c51);
            }
        }
        DirectStore<TS, TV>(c00, c01, y, vw, bias, 0, act);
        if (R.Count > 1)
        {
            DirectStore<TS, TV>(c10, c11, y + ldy, vw, bias, 1, act);
            DirectStore<TS, TV>(c20, c21, y + 2 * ldy, vw, bias, 2, act);
            DirectStore<TS, TV>(c30, c31, y + 3 * ldy, vw, bias, 3, act);
        }
        if (R.Count > 4)
        {
            DirectStore<TS, TV>(c40, c41, y + 4 * ldy, vw, bias, 4, act);
            DirectStore<TS, TV>(c50, c51, y + 5 * ldy, vw, bias, 5, act);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void DirectStore<TS, TV>(TV lo, TV hi, float* y, int vw, float* bias, int row, Activation act) where TS : struct, ISimd<TV> where TV : struct
    {
        if (bias != null)
        {
            TV bv = TS.Splat(bias[row]);
            lo = TS.Add(lo, bv);
            hi = TS.Add(hi, bv);
        }
        TS.Store(y, Activate<TS, TV>(lo, act));
        TS.Store(y + vw, Activate<TS, TV>(hi, act));
    }
}
