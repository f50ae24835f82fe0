// Depthwise convolution with channels in vector lanes (AVX-512): 16 channels' planes are transposed into one
// zero-padded [row][column][16] block in scratch, so every tap of 16 output pixels is 16 aligned loads and 16 FMAs
// against one weight vector, for any plane width and stride; a 16 x 16 register transpose turns each tile back into
// 16 channels' rows of the NCHW output. The row kernel (ConvDepthwise.cs) vectorizes along one plane's row instead:
// an 8x8 plane fills half a 512-bit vector there, a stride-2 row computes every column and keeps half, and four of
// a 5x5 row's five taps are loads that straddle cache lines.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

public static partial class Conv
{
    // Channels per block: the lanes of a Vector512.
    private const int Lanes = 16;

    /// <summary>
    /// Floats of scratch per thread for <see cref="DepthwiseBlocked"/>: the padded block plane, the packed weights and
    /// bias, alignment slack, and what the row kernel it falls back to needs (<see cref="DepthwiseScratchFloats"/>).
    /// </summary>
    public static long DepthwiseBlockedScratchFloats(int kH, int kW, int oH, int oW, int strideH, int strideW, int dilationH, int dilationW)
    {
        long rowKernel = DepthwiseScratchFloats(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW);
        // A plane too large to run blocked needs only the row kernel's scratch.
        return BlockedPlaneFloats(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW) > MaxBlockedPlaneFloats ? rowKernel
            : Math.Max(BlockedKernelScratchFloats(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW), rowKernel);
    }

    /// <summary>The blocked kernel's own scratch: the padded block plane, the packed weights and bias, alignment slack.</summary>
    private static long BlockedKernelScratchFloats(int kH, int kW, int oH, int oW, int strideH, int strideW, int dilationH, int dilationW) =>
        BlockedPlaneFloats(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW) + ((long)Lanes * strideW + kH * kW + 2) * Lanes;

    /// <summary>Rows and columns of the padded plane the output reads (a tile's pixels past the row read past its end).</summary>
    private static (int Rows, int Width) BlockedPlane(int kH, int kW, int oH, int oW, int strideH, int strideW, int dilationH, int dilationW) =>
        ((oH - 1) * strideH + (kH - 1) * dilationH + 1, (oW - 1) * strideW + (kW - 1) * dilationW + 1);

    /// <summary>True where <see cref="DepthwiseBlocked"/> runs the channel-blocked kernel rather than the row kernel.</summary>
    public static bool DepthwiseBlockedSupported(int strideW, int padTop, int padLeft) =>
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated && (strideW == 1 || strideW == 2) && padTop >= 0 && padLeft >= 0;

    /// <summary>
    /// 2-D depthwise convolution (group = c = m): x [n, c, h, w], weight [c, 1, kH, kW], bias [c] or empty, y [n, c, oH,
    /// oW], act(conv + bias). Channels in blocks of 16 run with the channels in vector lanes (AVX-512, column stride 1 or
    /// 2, no negative pads, unit-stride rows narrower than 64, a padded block plane of at most 1 MB; on rows of 32+ the
    /// channels past the last whole block run on the row kernel); otherwise the row kernel. scratch holds <see cref="DepthwiseBlockedScratchFloats"/> floats
    /// per thread; with threads &gt; 1 the caller and pool workers share the channel blocks.
    /// </summary>
    public static unsafe void DepthwiseBlocked(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int c, int h, int w, int kH, int kW, int oH, int oW, int strideH, int strideW, int padTop, int padLeft,
        int dilationH, int dilationW, Span<float> scratch, Activation activation, int threads = 1) =>
        DepthwiseBlockedOrRows(x, weight, bias, y, n, c, h, w, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, scratch, activation, threads,
            DepthwiseBlockedSupported(strideW, padTop, padLeft) && !(strideW == 1 && oW >= RowKernelMinWidth && oH >= RowKernelMinRows)
            && BlockedPlaneFloats(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW) <= MaxBlockedPlaneFloats);

    // Unit-stride output rows from this width on stay on the row kernel: whole 512-bit vectors, no transposes, and a
    // plane small enough for L1 (BlazeFace's 24 channels on 64x64: 92 us there, 101 us as a block of 16 plus 8 channels
    // on rows, 99 us as two blocks; load ~12-15).
    private const int RowKernelMinWidth = 64;

    // ... and at least this many rows: on planes of a few wide rows (PP-OCR's 5x5 on 2x96 and 3x96, 200 and 88
    // channels) the row kernel's per-plane padding copy dominates; blocked there 60 -> 43 and 38 -> 28 us per node.
    private const int RowKernelMinRows = 8;

    // Block planes past this many floats (1 MB, a core's L2) run on the row kernel, whose padded plane is a sixteenth
    // of it: M-LSD's stride-2 3x3 on 96 x 160x160 (a 1.7 MB block plane) 860 -> 599 us in the model; alone, fastest of
    // 30 in one process, rows/blocked 0.83 there.
    private const long MaxBlockedPlaneFloats = 262144;

    private static long BlockedPlaneFloats(int kH, int kW, int oH, int oW, int strideH, int strideW, int dilationH, int dilationW)
    {
        var (rows, width) = BlockedPlane(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW);
        return (long)rows * width * Lanes;
    }

    // Unit-stride rows from this width on run the channels past the last whole block on the row kernel instead of as a
    // block of mostly zero lanes.
    private const int SplitMinWidth = 32;

    /// <summary><see cref="DepthwiseBlocked"/> with the kernel chosen by the caller (tests run both).</summary>
    internal static unsafe void DepthwiseBlockedOrRows(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int c, int h, int w, int kH, int kW, int oH, int oW, int strideH, int strideW, int padTop, int padLeft,
        int dilationH, int dilationW, Span<float> scratch, Activation activation, int threads, bool blocked)
    {
        if (threads < 1) ThrowHelper.Argument("threads must be at least 1.");
        int inPlane = h * w, outPlane = oH * oW, taps = kH * kW;
        if (x.Length < (long)n * c * inPlane || weight.Length < (long)c * taps || y.Length < (long)n * c * outPlane || (!bias.IsEmpty && bias.Length < c))
            ThrowHelper.Argument("A span is shorter than its shape.");
        if (scratch.Length / threads < DepthwiseBlockedScratchFloats(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW))
            ThrowHelper.Argument("scratch is shorter than DepthwiseBlockedScratchFloats per thread.");
        if (outPlane == 0 || n * c == 0) return;
        if (!blocked || !DepthwiseBlockedSupported(strideW, padTop, padLeft)
            || scratch.Length / threads < BlockedKernelScratchFloats(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW))
        {
            // The row kernel offsets each participant by the length of the slice it is given.
            Depthwise(x, weight, bias, y, n, c, h, w, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW,
                scratch.Slice(0, scratch.Length / threads), threads, activation: activation);
            return;
        }
        int blocks = strideW == 1 && oW >= SplitMinWidth && c > Lanes ? c / Lanes : (c + Lanes - 1) / Lanes;
        fixed (float* px = x, pw = weight, pb = bias, py = y, ps = scratch)
        {
            var job = new BlockedJob
            {
                X = px, W = pw, Bias = bias.IsEmpty ? null : pb, Y = py, Scratch = ps, ScratchStride = scratch.Length / threads,
                C = c, Blocks = blocks, H = h, Wd = w, KH = kH, KW = kW, OH = oH, OW = oW, StrideH = strideH, StrideW = strideW,
                PadTop = padTop, PadLeft = padLeft, DilationH = dilationH, DilationW = dilationW, Activation = activation,
            };
            Workers.For(threads, n * blocks, &BlockedItem, &job);
        }
        if (!activation.InRegisters) activation.Apply(y.Slice(0, n * c * outPlane));
        int rest = c - blocks * Lanes;
        for (int img = 0; rest > 0 && img < n; img++)
        {
            // The channels past the last whole block, on wide unit-stride rows: the row kernel.
            int first = img * c + blocks * Lanes;
            var part = y.Slice(first * outPlane, rest * outPlane);
            Depthwise(x.Slice(first * inPlane, rest * inPlane), weight.Slice(blocks * Lanes * taps), bias.IsEmpty ? bias : bias.Slice(blocks * Lanes), part,
                1, rest, h, w, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, scratch.Slice(0, scratch.Length / threads), threads,
                activation: activation);
        }
    }

    private unsafe struct BlockedJob
    {
        public float* X, W, Bias, Y, Scratch;
        public int ScratchStride, C, Blocks, H, Wd, KH, KW, OH, OW, StrideH, StrideW, PadTop, PadLeft, DilationH, DilationW;
        public Activation Activation;
    }

    /// <summary>One image's block of up to 16 channels.</summary>
    [SkipLocalsInit]
    private static unsafe void BlockedItem(void* state, int item, int participant)
    {
        ref BlockedJob j = ref *(BlockedJob*)state;
        int img = item / j.Blocks, c0 = item % j.Blocks * Lanes, cb = Math.Min(Lanes, j.C - c0);
        int taps = j.KH * j.KW, inPlane = j.H * j.Wd, outPlane = j.OH * j.OW;
        var (rows, width) = BlockedPlane(j.KH, j.KW, j.OH, j.OW, j.StrideH, j.StrideW, j.DilationH, j.DilationW);
        // 64-byte aligned: every load of the plane and the weights is one cache line.
        float* ps = j.Scratch + (nint)participant * j.ScratchStride;
        float* plane = (float*)(((nint)ps + 63) & ~(nint)63);
        float* wts = plane + ((nint)rows * width + (nint)Lanes * j.StrideW) * Lanes;
        float* bias = wts + (nint)taps * Lanes;
        for (int t = 0; t < taps; t++)
            for (int l = 0; l < Lanes; l++) wts[t * Lanes + l] = l < cb ? j.W[(nint)(c0 + l) * taps + t] : 0f;
        for (int l = 0; l < Lanes; l++) bias[l] = l < cb && j.Bias != null ? j.Bias[c0 + l] : 0f;
        float* x = j.X + ((nint)img * j.C + c0) * inPlane;
        float* y = j.Y + ((nint)img * j.C + c0) * outPlane;
        PackBlockPlane(x, inPlane, cb, j.H, j.Wd, rows, width, j.PadTop, j.PadLeft, plane);
        if (j.StrideW == 1) BlockedRows<Stride1>(plane, width, wts, bias, y, outPlane, cb, ref j);
        else BlockedRows<Stride2>(plane, width, wts, bias, y, outPlane, cb, ref j);
    }

    /// <summary>
    /// plane[(r * width + col) * 16 + l] = x[l][r - padTop][col - padLeft] for the cb channels, zero elsewhere (padding
    /// and lanes past cb): 16 pixels of the flattened input at a time, transposed in registers.
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void PackBlockPlane(float* x, int inPlane, int cb, int h, int w, int rows, int width, int padTop, int padLeft, float* plane)
    {
        var zero = Vector512<float>.Zero;
        // The padding: rows above and below the input, columns left and right of it.
        int inputRows = Math.Clamp(rows - padTop, 0, h);
        for (nint i = 0; i < (nint)Math.Min(padTop, rows) * width; i++) zero.Store(plane + i * Lanes);
        for (nint i = (nint)(padTop + inputRows) * width; i < (nint)rows * width; i++) zero.Store(plane + i * Lanes);
        int right = Math.Max(0, width - padLeft - w);
        for (int r = padTop; r < padTop + inputRows; r++)
        {
            float* row = plane + (nint)r * width * Lanes;
            for (int col = 0; col < Math.Min(padLeft, width); col++) zero.Store(row + col * Lanes);
            for (int col = width - right; col < width; col++) zero.Store(row + col * Lanes);
        }
        float* tile = stackalloc float[Lanes * Lanes + Lanes];
        float* t = (float*)(((nint)tile + 63) & ~(nint)63);
        float* part = stackalloc float[Lanes * Lanes];
        int pixels = inputRows * w;
        for (int p0 = 0; p0 < pixels; p0 += Lanes)
        {
            int count = Math.Min(Lanes, pixels - p0);
            if (count == Lanes) Transpose16(x + p0, inPlane, cb, t);
            else
            {
                // The plane's last pixels: through a zero-filled copy, so nothing past the input is read.
                new Span<float>(part, Lanes * Lanes).Clear();
                for (int l = 0; l < cb; l++)
                    for (int p = 0; p < count; p++) part[l * Lanes + p] = x[(nint)l * inPlane + p0 + p];
                Transpose16(part, Lanes, Lanes, t);
            }
            int ih = p0 / w, iw = p0 % w;
            for (int p = 0; p < count; p++)
            {
                int col = iw + padLeft;
                if (col < width) Vector512.Store(Vector512.Load(t + p * Lanes), plane + ((nint)(ih + padTop) * width + col) * Lanes);
                if (++iw == w)
                {
                    iw = 0;
                    ih++;
                }
            }
        }
    }

    /// <summary>
    /// dst[p * 16 + l] = src[l * stride + p] for 16 rows l (rows from valid on read as zero) of 16 floats: the
    /// 4-stage unpack/shuffle transpose of a 16 x 16 tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose16(float* src, nint stride, int valid, float* dst)
    {
        var z = Vector512<float>.Zero;
        Vector512<float> r0 = Vector512.Load(src), r1 = valid > 1 ? Vector512.Load(src + stride) : z;
        Vector512<float> r2 = valid > 2 ? Vector512.Load(src + 2 * stride) : z, r3 = valid > 3 ? Vector512.Load(src + 3 * stride) : z;
        Vector512<float> r4 = valid > 4 ? Vector512.Load(src + 4 * stride) : z, r5 = valid > 5 ? Vector512.Load(src + 5 * stride) : z;
        Vector512<float> r6 = valid > 6 ? Vector512.Load(src + 6 * stride) : z, r7 = valid > 7 ? Vector512.Load(src + 7 * stride) : z;
        Vector512<float> r8 = valid > 8 ? Vector512.Load(src + 8 * stride) : z, r9 = valid > 9 ? Vector512.Load(src + 9 * stride) : z;
        Vector512<float> r10 = valid > 10 ? Vector512.Load(src + 10 * stride) : z, r11 = valid > 11 ? Vector512.Load(src + 11 * stride) : z;
        Vector512<float> r12 = valid > 12 ? Vector512.Load(src + 12 * stride) : z, r13 = valid > 13 ? Vector512.Load(src + 13 * stride) : z;
        Vector512<float> r14 = valid > 14 ? Vector512.Load(src + 14 * stride) : z, r15 = valid > 15 ? Vector512.Load(src + 15 * stride) : z;
        Transpose16(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, ref r8, ref r9, ref r10, ref r11, ref r12, ref r13, ref r14, ref r15);
        r0.Store(dst); r1.Store(dst + 16); r2.Store(dst + 32); r3.Store(dst + 48);
        r4.Store(dst + 64); r5.Store(dst + 80); r6.Store(dst + 96); r7.Store(dst + 112);
        r8.Store(dst + 128); r9.Store(dst + 144); r10.Store(dst + 160); r11.Store(dst + 176);
        r12.Store(dst + 192); r13.Store(dst + 208); r14.Store(dst + 224); r15.Store(dst + 240);
    }

    /// <summary>Transposes the 16 x 16 matrix whose rows are r0..r15 in place (row i becomes column i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16(ref Vector512<float> r0, ref Vector512<float> r1, ref Vector512<float> r2, ref Vector512<float> r3,
        ref Vector512<float> r4, ref Vector512<float> r5, ref Vector512<float> r6, ref Vector512<float> r7,
        ref Vector512<float> r8, ref Vector512<float> r9, ref Vector512<float> r10, ref Vector512<float> r11,
        ref Vector512<float> r12, ref Vector512<float> r13, ref Vector512<float> r14, ref Vector512<float> r15)
    {
        // Pairs of rows interleaved: in each 128-bit lane k, t0 = r0[4k], r1[4k], r0[4k+1], r1[4k+1].
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);
        // Quads: in lane k, u0 = column 4k of rows 0-3, u1 column 4k+1, u2 column 4k+2, u3 column 4k+3.
        var u0 = Avx512F.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle(); var u1 = Avx512F.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle();
        var u2 = Avx512F.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle(); var u3 = Avx512F.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle();
        var u4 = Avx512F.UnpackLow(t4.AsDouble(), t6.AsDouble()).AsSingle(); var u5 = Avx512F.UnpackHigh(t4.AsDouble(), t6.AsDouble()).AsSingle();
        var u6 = Avx512F.UnpackLow(t5.AsDouble(), t7.AsDouble()).AsSingle(); var u7 = Avx512F.UnpackHigh(t5.AsDouble(), t7.AsDouble()).AsSingle();
        var u8 = Avx512F.UnpackLow(t8.AsDouble(), t10.AsDouble()).AsSingle(); var u9 = Avx512F.UnpackHigh(t8.AsDouble(), t10.AsDouble()).AsSingle();
        var u10 = Avx512F.UnpackLow(t9.AsDouble(), t11.AsDouble()).AsSingle(); var u11 = Avx512F.UnpackHigh(t9.AsDouble(), t11.AsDouble()).AsSingle();
        var u12 = Avx512F.UnpackLow(t12.AsDouble(), t14.AsDouble()).AsSingle(); var u13 = Avx512F.UnpackHigh(t12.AsDouble(), t14.AsDouble()).AsSingle();
        var u14 = Avx512F.UnpackLow(t13.AsDouble(), t15.AsDouble()).AsSingle(); var u15 = Avx512F.UnpackHigh(t13.AsDouble(), t15.AsDouble()).AsSingle();
        // Lanes 0 and 2 (0x88) or 1 and 3 (0xDD) of each: v0 = column 0 and 8 of rows 0-7 (rows 0-3 then 4-7 per half).
        var v0 = Avx512F.Shuffle4x128(u0, u4, 0x88); var v1 = Avx512F.Shuffle4x128(u0, u4, 0xDD);
        var v2 = Avx512F.Shuffle4x128(u1, u5, 0x88); var v3 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        var v4 = Avx512F.Shuffle4x128(u2, u6, 0x88); var v5 = Avx512F.Shuffle4x128(u2, u6, 0xDD);
        var v6 = Avx512F.Shuffle4x128(u3, u7, 0x88); var v7 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
        var w0 = Avx512F.Shuffle4x128(u8, u12, 0x88); var w1 = Avx512F.Shuffle4x128(u8, u12, 0xDD);
        var w2 = Avx512F.Shuffle4x128(u9, u13, 0x88); var w3 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
        var w4 = Avx512F.Shuffle4x128(u10, u14, 0x88); var w5 = Avx512F.Shuffle4x128(u10, u14, 0xDD);
        var w6 = Avx512F.Shuffle4x128(u11, u15, 0x88); var w7 = Avx512F.Shuffle4x128(u11, u15, 0xDD);
        // v0 holds columns 0 (lanes 0, 2) and 8 (lanes 1, 3); v1 columns 4 and 12; v2 1 and 9; v3 5 and 13; ...
        r0 = Avx512F.Shuffle4x128(v0, w0, 0x88); r8 = Avx512F.Shuffle4x128(v0, w0, 0xDD);
        r4 = Avx512F.Shuffle4x128(v1, w1, 0x88); r12 = Avx512F.Shuffle4x128(v1, w1, 0xDD);
        r1 = Avx512F.Shuffle4x128(v2, w2, 0x88); r9 = Avx512F.Shuffle4x128(v2, w2, 0xDD);
        r5 = Avx512F.Shuffle4x128(v3, w3, 0x88); r13 = Avx512F.Shuffle4x128(v3, w3, 0xDD);
        r2 = Avx512F.Shuffle4x128(v4, w4, 0x88); r10 = Avx512F.Shuffle4x128(v4, w4, 0xDD);
        r6 = Avx512F.Shuffle4x128(v5, w5, 0x88); r14 = Avx512F.Shuffle4x128(v5, w5, 0xDD);
        r3 = Avx512F.Shuffle4x128(v6, w6, 0x88); r11 = Avx512F.Shuffle4x128(v6, w6, 0xDD);
        r7 = Avx512F.Shuffle4x128(v7, w7, 0x88); r15 = Avx512F.Shuffle4x128(v7, w7, 0xDD);
    }

    private interface IColumnStride
    {
        static abstract int Count { get; }
    }

    private struct Stride1 : IColumnStride { public static int Count => 1; }
    private struct Stride2 : IColumnStride { public static int Count => 2; }

    /// <summary>
    /// Every output row of the block in tiles of 16 pixels (a row's last tile may be partial); rows of 8 pixels or
    /// fewer two at a time, pixels 8-15 of a tile being the next row's (an 8x8 plane filled half of each tile).
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BlockedRows<TStride>(float* plane, int width, float* wts, float* bias, float* y, int outPlane, int cb, ref BlockedJob j)
        where TStride : struct, IColumnStride
    {
        float* buffer = stackalloc float[2 * Lanes * Lanes + Lanes];
        float* tile = (float*)(((nint)buffer + 63) & ~(nint)63), columns = tile + Lanes * Lanes;
        var act = j.Activation.InRegisters ? j.Activation : Activation.None;
        nint rowStep = (nint)j.DilationH * width * Lanes, tapStep = (nint)j.DilationW * Lanes, half = (nint)8 * TStride.Count * Lanes;
        if (j.OW <= 8)
        {
            for (int oh = 0; oh < j.OH; oh += 2)
            {
                // The second row's pixels sit one output row further down the plane (the last odd row reads past its own end: discarded).
                bool pair = oh + 1 < j.OH;
                nint second = pair ? (nint)j.StrideH * width * Lanes : half;
                BlockedTile<TStride>(plane + (nint)oh * j.StrideH * width * Lanes, second, rowStep, tapStep, j.KH, j.KW, wts, bias, act, tile);
                float* yAt = y + (nint)oh * j.OW;
                if (j.OW == 8 && pair && cb == Lanes) Transpose16(tile, Lanes, Lanes, columns, yAt, outPlane);
                else
                {
                    Transpose16(tile, Lanes, Lanes, columns);
                    for (int l = 0; l < cb; l++)
                    {
                        float* src = columns + l * Lanes, dst = yAt + (nint)l * outPlane;
                        for (int p = 0; p < j.OW; p++) dst[p] = src[p];
                        if (pair) for (int p = 0; p < j.OW; p++) dst[j.OW + p] = src[8 + p];
                    }
                }
            }
            return;
        }
        for (int oh = 0; oh < j.OH; oh++)
        {
            float* rowBase = plane + (nint)oh * j.StrideH * width * Lanes;
            for (int ow = 0; ow < j.OW; ow += Lanes)
            {
                int count = Math.Min(Lanes, j.OW - ow);
                BlockedTile<TStride>(rowBase + (nint)ow * TStride.Count * Lanes, half, rowStep, tapStep, j.KH, j.KW, wts, bias, act, tile);
                float* yAt = y + (nint)oh * j.OW + ow;
                if (count == Lanes && cb == Lanes) Transpose16(tile, Lanes, Lanes, columns, yAt, outPlane);
                else
                {
                    Transpose16(tile, Lanes, Lanes, columns);
                    for (int l = 0; l < cb; l++)
                    {
                        float* src = columns + l * Lanes, dst = yAt + (nint)l * outPlane;
                        if (count == Lanes) Vector512.Store(Vector512.Load(src), dst);
                        else if (count == 8) Vector256.Store(Vector256.Load(src), dst);
                        else for (int p = 0; p < count; p++) dst[p] = src[p];
                    }
                }
            }
        }
    }

    /// <summary>Transpose16 storing row p of the result at dst + p * dstStride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose16(float* src, nint stride, int valid, float* scratchTile, float* dst, nint dstStride)
    {
        Transpose16(src, stride, valid, scratchTile);
        for (int p = 0; p < Lanes; p++) Vector512.Store(Vector512.Load(scratchTile + p * Lanes), dst + p * dstStride);
    }

    /// <summary>
    /// 16 output pixels, 16 channels each: tile[p * 16 + l] = act(bias[l] + sum over taps of w[tap][l] * plane[pixel
    /// p's tap][l]); 16 accumulators, each tap one weight vector and 16 aligned loads. Pixels 0-7 start at at, column
    /// stride apart, pixels 8-15 at at + second.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void BlockedTile<TStride>(float* at, nint second, nint rowStep, nint tapStep, int kH, int kW, float* wts, float* bias, Activation act, float* tile)
        where TStride : struct, IColumnStride
    {
        const int L = Lanes;
        int s = TStride.Count * L;
        var b = Vector512.Load(bias);
        Vector512<float> a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b, a8 = b, a9 = b, a10 = b, a11 = b, a12 = b, a13 = b, a14 = b, a15 = b;
        for (int kh = 0; kh < kH; kh++)
        {
            float* q = at + kh * rowStep;
            for (int kw = 0; kw < kW; kw++)
            {
                var wv = Vector512.Load(wts);
                float* r = q + second;
                a0 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(q), a0);
                a1 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(q + s), a1);
                a2 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(q + 2 * s), a2);
                a3 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(q + 3 * s), a3);
                a4 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(q + 4 * s), a4);
                a5 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(q + 5 * s), a5);
                a6 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(q + 6 * s), a6);
                a7 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(q + 7 * s), a7);
                a8 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(r), a8);
                a9 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(r + 1 * s), a9);
                a10 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(r + 2 * s), a10);
                a11 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(r + 3 * s), a11);
                a12 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(r + 4 * s), a12);
                a13 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(r + 5 * s), a13);
                a14 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(r + 6 * s), a14);
                a15 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(r + 7 * s), a15);
                q += tapStep;
                wts += L;
            }
        }
        Act(a0, act).Store(tile); Act(a1, act).Store(tile + L); Act(a2, act).Store(tile + 2 * L); Act(a3, act).Store(tile + 3 * L);
        Act(a4, act).Store(tile + 4 * L); Act(a5, act).Store(tile + 5 * L); Act(a6, act).Store(tile + 6 * L); Act(a7, act).Store(tile + 7 * L);
        Act(a8, act).Store(tile + 8 * L); Act(a9, act).Store(tile + 9 * L); Act(a10, act).Store(tile + 10 * L); Act(a11, act).Store(tile + 11 * L);
        Act(a12, act).Store(tile + 12 * L); Act(a13, act).Store(tile + 13 * L); Act(a14, act).Store(tile + 14 * L); Act(a15, act).Store(tile + 15 * L);
    }

    /// <summary>The in-register activations (Relu, LeakyRelu, Clip), as the packed GEMM's epilogue applies them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Act(Vector512<float> v, Activation act) => act.Kind switch
    {
        ActivationKind.None => v,
        ActivationKind.Relu => Avx512F.Max(Vector512<float>.Zero, v),
        ActivationKind.LeakyRelu => Avx512F.FusedMultiplyAdd(Vector512.Create(act.Alpha), Avx512F.Min(Vector512<float>.Zero, v), Avx512F.Max(Vector512<float>.Zero, v)),
        _ => Avx512F.Min(Vector512.Create(act.Beta), Avx512F.Max(Vector512.Create(act.Alpha), v)),
    };
}
