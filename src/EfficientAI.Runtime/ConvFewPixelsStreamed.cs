// Few output pixels against many weights (ResNet-18's last stage: 3x3 Convs on 7x7 pixels, 9.4 MB of weights each):
// every weight serves only the 49 pixels, so the layer is a stream of weights past a small im2col that stays in
// cache. The generator lays the weights out at compile time in exactly the order this kernel reads them, one
// sequential stream per layer: blocks of 256 rows of depth, in each block groups of 48 output channels (three
// Vector512), each group's 256 rows of 48 floats contiguous. The pixels' im2col is pixel-tile-major (R pixels'
// values side by side for each row of depth), so a tile of R pixels x 48 channels (R = 7 for 49 pixels: 21
// accumulators) reads one contiguous run of its pixels and one of the group's weights; the group's block (48 KB)
// stays in L1/L2 while every pixel tile passes over it, and the partial sums of all pixels (100 KB) stay in L2. The
// first three tiles of a group prefetch the next group's block (prefetcht0, one line per row of depth): without it
// the hardware prefetcher left the cold weights ~20% behind the hot ones (512->512 3x3 on 7x7: 1,528 vs 1,234 us).
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

public static partial class Conv
{
    /// <summary>Rows of depth per block of the streamed weight layout (the generator's layout must use the same).</summary>
    public const int StreamedDepthBlock = 256;

    /// <summary>Output channels per group of the streamed weight layout: three Vector512 (the last group: the rest, rounded up to 16).</summary>
    public const int StreamedGroupWidth = 48;

    private const int StreamedLane = 16;

    /// <summary>Floats of the streamed layout of [m, depth] weights: output channels zero-padded to a multiple of 16.</summary>
    public static int StreamedPackedLength(int depth, int m) => checked(depth * ((m + StreamedLane - 1) / StreamedLane * StreamedLane));

    /// <summary>
    /// Lays out weights [m, depth] (a Conv's [m, c, kH, kW]) for <c>Conv2DFewPixelsStreamed</c>: per block of
    /// <see cref="StreamedDepthBlock"/> rows of depth, per group of <see cref="StreamedGroupWidth"/> output channels,
    /// the block's rows of the group's channels. The generator does this at compile time; tests and benchmarks call it.
    /// </summary>
    public static void PackStreamedWeights(ReadOnlySpan<float> weight, Span<float> packed, int m, int depth) =>
        PackStreamedWeights(weight, packed, m, depth, StreamedDepthBlock);

    internal static void PackStreamedWeights(ReadOnlySpan<float> weight, Span<float> packed, int m, int depth, int depthBlock)
    {
        if (weight.Length < (long)m * depth || packed.Length < StreamedPackedLength(depth, m)) ThrowHelper.Argument("weight or packed is too short.");
        int mPad = (m + StreamedLane - 1) / StreamedLane * StreamedLane;
        packed.Slice(0, depth * mPad).Clear();
        for (int k0 = 0; k0 < depth; k0 += depthBlock)
        {
            int kc = Math.Min(depthBlock, depth - k0);
            for (int g0 = 0; g0 < mPad; g0 += StreamedGroupWidth)
            {
                int gw = Math.Min(StreamedGroupWidth, mPad - g0), at = k0 * mPad + g0 * kc;
                for (int p = 0; p < kc; p++)
                    for (int j = 0; j < gw && g0 + j < m; j++) packed[at + p * gw + j] = weight[(g0 + j) * depth + k0 + p];
            }
        }
    }

    /// <summary>
    /// Floats of scratch <c>Conv2DFewPixelsStreamed</c> needs: the pixel tiles' im2col and tap offsets, their
    /// partial sums [pixels, m rounded up to 16] and the bias (an upper bound: up to 7 padding pixels).
    /// </summary>
    public static long StreamedScratchFloats(int c, int m, int kH, int kW, int pixels)
    {
        long rows = pixels + 7, mPad = (m + StreamedLane - 1) / StreamedLane * StreamedLane;
        return rows * ((long)c * kH * kW + mPad + (long)kH * kW) + mPad;
    }

    /// <summary>
    /// 2-D convolution (one group; 1-D callers pass h = kH = oH = 1) of x [n, c, h, w] with weights [m, c, kH, kW] laid
    /// out by <c>PackStreamedWeights</c>; bias [m] or empty; y [n, m, oH, oW]. For Convs with few output pixels
    /// and large weights: the weights are read once, as one sequential stream.
    /// </summary>
    public static void Conv2DFewPixelsStreamed(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW, int strideH, int strideW, int padTop, int padLeft,
        int dilationH, int dilationW, Span<float> scratch, Activation activation, int threads = 1) =>
        Conv2DFewPixelsStreamed(x, packedWeight, bias, default, y, n, c, h, w, m, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW,
            scratch, activation, Gemm.MaxVectorWidth, StreamedDepthBlock, threads);

    /// <summary>
    /// The same with a residual [n, m, oH, oW] added before the activation (ResidualAddFusion: a residual block's Conv ->
    /// Add -> Relu in one pass). y may be residual itself (each element is read before it is written), not x.
    /// </summary>
    public static void Conv2DFewPixelsStreamed(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeight, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, Span<float> y,
        int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW, int strideH, int strideW, int padTop, int padLeft,
        int dilationH, int dilationW, Span<float> scratch, Activation activation, int threads = 1) =>
        Conv2DFewPixelsStreamed(x, packedWeight, bias, residual, y, n, c, h, w, m, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW,
            scratch, activation, Gemm.MaxVectorWidth, StreamedDepthBlock, threads);

    /// <summary>Pixel rows per register tile: the one of 8, 7 and 6 that pads the pixels least (49: 7), all of 1-8 pixels.</summary>
    internal static int StreamedTileRows(int pixels)
    {
        if (pixels <= 8) return pixels;
        int best = 8, waste = (pixels + 7) / 8 * 8 - pixels;
        for (int r = 7; r >= 6; r--)
        {
            int wr = (pixels + r - 1) / r * r - pixels;
            if (wr < waste) { best = r; waste = wr; }
        }
        return best;
    }

    /// <summary><see cref="Conv2DFewPixelsStreamed(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, Span{float}, Activation, int)"/> on vectors of at most maxWidth floats, with weights packed in blocks of depthBlock rows.</summary>
    internal static unsafe void Conv2DFewPixelsStreamed(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeight, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, Span<float> y,
        int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW, int strideH, int strideW, int padTop, int padLeft,
        int dilationH, int dilationW, Span<float> scratch, Activation activation, int maxWidth, int depthBlock, int threads = 1)
    {
        int depth = c * kH * kW, pixels = oH * oW, taps = kH * kW;
        if (x.Length < (long)n * c * h * w || packedWeight.Length < StreamedPackedLength(depth, m) || y.Length < (long)n * m * pixels || (!bias.IsEmpty && bias.Length < m)
            || (!residual.IsEmpty && residual.Length < (long)n * m * pixels))
            ThrowHelper.Argument("A span is shorter than its shape.");
        if (scratch.Length < StreamedScratchFloats(c, m, kH, kW, pixels)) ThrowHelper.Argument("scratch is too small.");
        if (n <= 0 || m <= 0 || pixels <= 0) return;
        int mPad = (m + StreamedLane - 1) / StreamedLane * StreamedLane;
        int rows = StreamedTileRows(pixels), tiles = (pixels + rows - 1) / rows, rowsPad = tiles * rows;
        var columns = scratch.Slice(0, rowsPad * depth);
        var sums = scratch.Slice(rowsPad * depth, rowsPad * mPad);
        var offsets = MemoryMarshal.Cast<float, int>(scratch.Slice(rowsPad * (depth + mPad), rowsPad * taps));
        var paddedBias = scratch.Slice(rowsPad * (depth + mPad + taps), mPad);
        paddedBias.Clear();
        if (!bias.IsEmpty) bias.Slice(0, m).CopyTo(paddedBias);
        TileOffsets(offsets, h, w, kH, kW, oW, pixels, rows, tiles, strideH, strideW, padTop, padLeft, dilationH, dilationW);
        // With a residual the activation waits until it is added, in the transposing pass.
        bool hasResidual = !residual.IsEmpty;
        Activation inRegisters = activation.InRegisters && !hasResidual ? activation : Activation.None;
        fixed (float* px = x, pw = packedWeight, pc = columns, ps = sums, pb = paddedBias, pr = residual, py = y)
        fixed (int* po = offsets)
        {
            for (int img = 0; img < n; img++)
            {
                TileColumns(px + (nint)img * c * h * w, pc, po, c, h * w, taps, rows, tiles);
                if (threads > 1) StreamedShared(pw, pc, ps, pb, depth, mPad, rows, tiles, depthBlock, maxWidth, inRegisters, threads);
                else
                {
                    for (int k0 = 0; k0 < depth; k0 += depthBlock)
                    {
                        int kc = Math.Min(depthBlock, depth - k0);
                        bool first = k0 == 0;
                        var act = k0 + kc == depth ? inRegisters : Activation.None;
                        for (int g0 = 0; g0 < mPad; g0 += StreamedGroupWidth)
                        {
                            int gw = Math.Min(StreamedGroupWidth, mPad - g0);
                            float* b = pw + (nint)k0 * mPad + (nint)g0 * kc;
                            // The next group's block follows this one: its lines are prefetched one per row of depth by
                            // the first tiles (kc lines each), so it arrives while this block is being multiplied.
                            float* next = b + (nint)kc * gw;
                            for (int t = 0; t < tiles; t++)
                                StreamedBlock(pc + ((nint)t * depth + k0) * rows, b, gw, ps + (nint)t * rows * mPad + g0, mPad, kc, rows, first, pb + g0, act, maxWidth,
                                    t * kc < kc * StreamedGroupWidth / StreamedLane ? next + (nint)t * kc * StreamedLane : null);
                        }
                    }
                }
                // [pixels, mPad] -> NCHW, one output channel's plane at a time: the writes (and residual reads) run
                // forward, the strided reads stay in the 49 lines the next channels read too.
                float* yi = py + (nint)img * m * pixels;
                if (hasResidual)
                {
                    float* ri = pr + (nint)img * m * pixels;
                    for (int oc = 0; oc < m; oc++)
                    {
                        float* src = ps + oc, dst = yi + (nint)oc * pixels, res = ri + (nint)oc * pixels;
                        for (int p = 0; p < pixels; p++) dst[p] = src[(nint)p * mPad] + res[p];
                    }
                    continue;
                }
                for (int oc = 0; oc < m; oc++)
                {
                    float* src = ps + oc, dst = yi + (nint)oc * pixels;
                    for (int p = 0; p < pixels; p++) dst[p] = src[(nint)p * mPad];
                }
            }
        }
        if (!activation.InRegisters || hasResidual) activation.Apply(y.Slice(0, n * m * pixels));
    }

    /// <summary>
    /// The channel groups shared among threads: each thread streams its groups' blocks, every group's sums are its own
    /// columns of the partial sums. Each group's pixel tiles go in two halves, one work item each: eleven groups of 512
    /// channels on two threads were six against five (ResNet-18's 7x7 layers 1.3x faster than one thread, not 1.8x); the
    /// second half's weights come from L3, where the first half's core just brought them. Its own method, so the
    /// one-thread loop's method takes no local's address.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void StreamedShared(float* weights, float* columns, float* sums, float* bias, int depth, int mPad, int rows, int tiles,
        int depthBlock, int maxWidth, Activation activation, int threads)
    {
        var job = new StreamedJob
        {
            Weights = weights, Columns = columns, Sums = sums, Bias = bias, Depth = depth, MPad = mPad, Rows = rows, Tiles = tiles,
            DepthBlock = depthBlock, MaxWidth = maxWidth, Activation = activation, TileSplits = Math.Min(2, tiles),
        };
        Workers.For(threads, (mPad + StreamedGroupWidth - 1) / StreamedGroupWidth * job.TileSplits, &StreamedGroup, &job);
    }

    private unsafe struct StreamedJob
    {
        public float* Weights, Columns, Sums, Bias;
        public int Depth, MPad, Rows, Tiles, DepthBlock, MaxWidth, TileSplits;
        public Activation Activation;
    }

    /// <summary>
    /// One group of output channels for a share of the pixel tiles over every block of depth (the Threads option): the
    /// same sums, in the same order, as the one-thread loop; the first tiles prefetch the group's next block, the next
    /// one this thread reads.
    /// </summary>
    private static unsafe void StreamedGroup(void* state, int item, int participant)
    {
        ref StreamedJob j = ref *(StreamedJob*)state;
        int group = item / j.TileSplits, split = item % j.TileSplits;
        int tileFirst = split * j.Tiles / j.TileSplits, tileEnd = (split + 1) * j.Tiles / j.TileSplits;
        int g0 = group * StreamedGroupWidth, gw = Math.Min(StreamedGroupWidth, j.MPad - g0);
        for (int k0 = 0; k0 < j.Depth; k0 += j.DepthBlock)
        {
            int kc = Math.Min(j.DepthBlock, j.Depth - k0), next0 = k0 + kc;
            float* b = j.Weights + (nint)k0 * j.MPad + (nint)g0 * kc;
            float* next = next0 < j.Depth ? j.Weights + (nint)next0 * j.MPad + (nint)g0 * Math.Min(j.DepthBlock, j.Depth - next0) : null;
            var act = next0 == j.Depth ? j.Activation : Activation.None;
            for (int t = tileFirst; t < tileEnd; t++)
            {
                int local = t - tileFirst;
                StreamedBlock(j.Columns + ((nint)t * j.Depth + k0) * j.Rows, b, gw, j.Sums + (nint)t * j.Rows * j.MPad + g0, j.MPad, kc, j.Rows, k0 == 0,
                    j.Bias + g0, act, j.MaxWidth, next != null && local * kc < kc * StreamedGroupWidth / StreamedLane ? next + (nint)local * kc * StreamedLane : null);
            }
        }
    }

    /// <summary>offsets[(t taps + tap) rows + r]: where pixel t rows + r reads tap in an input plane, or -1 (padding, or a pixel past the last).</summary>
    private static void TileOffsets(Span<int> offsets, int h, int w, int kH, int kW, int oW, int pixels, int rows, int tiles,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW)
    {
        int taps = kH * kW;
        for (int t = 0; t < tiles; t++)
            for (int r = 0; r < rows; r++)
            {
                int p = t * rows + r, oh = p / oW, ow = p % oW;
                for (int kh = 0, tap = 0; kh < kH; kh++)
                {
                    int ih = oh * strideH - padTop + kh * dilationH;
                    for (int kw = 0; kw < kW; kw++, tap++)
                    {
                        int iw = ow * strideW - padLeft + kw * dilationW;
                        offsets[(t * taps + tap) * rows + r] = p < pixels && (uint)ih < (uint)h && (uint)iw < (uint)w ? ih * w + iw : -1;
                    }
                }
            }
    }

    // Taps per pixel up to which TileColumns keeps a tile's runs on the stack (9 KB: bases and 8-lane masks).
    private const int MaxRunTaps = 256;

    /// <summary>
    /// The pixel tiles' im2col, columns[(t depth + ic taps + tap) rows + r], written in order. Where a tile's pixels
    /// read each tap from consecutive input columns (stride 1 along a row: ResNet's 7-pixel tiles are output rows), one
    /// tap of one channel is a single masked load of up to 8 floats (padding lanes masked off, never touched) instead
    /// of a branch and a load per value. Writes up to 7 floats past the last tile (the sums that follow in scratch,
    /// which are written before they are read).
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void TileColumns(float* x, float* columns, int* offsets, int c, int inPlane, int taps, int rows, int tiles)
    {
        float* dst = columns;
        int run = taps * rows;
        bool vectors = Avx.IsSupported && rows <= 8 && taps <= MaxRunTaps;
        int* bases = stackalloc int[vectors ? taps : 1];
        int* masks = stackalloc int[vectors ? taps * 8 : 1];
        for (int t = 0; t < tiles; t++)
        {
            int* tileOffsets = offsets + (nint)t * run;
            float* plane = x;
            if (vectors && ContiguousRuns(tileOffsets, taps, rows, bases, masks))
            {
                for (int ic = 0; ic < c; ic++, plane += inPlane)
                    for (int tap = 0; tap < taps; tap++, dst += rows)
                        Avx.Store(dst, Avx.MaskLoad(plane + bases[tap], Avx.LoadVector256(masks + tap * 8).AsSingle()));
                continue;
            }
            for (int ic = 0; ic < c; ic++, plane += inPlane, dst += run)
                for (int i = 0; i < run; i++)
                {
                    int o = tileOffsets[i];
                    dst[i] = o >= 0 ? plane[o] : 0f;
                }
        }
    }

    /// <summary>True when every tap's valid lanes read base + r: then bases[tap] and the lane masks (-1 = read) describe the tile.</summary>
    private static unsafe bool ContiguousRuns(int* tileOffsets, int taps, int rows, int* bases, int* masks)
    {
        for (int tap = 0; tap < taps; tap++)
        {
            int at = tap * rows;
            bool any = false;
            int start = 0;
            for (int r = 0; r < 8; r++)
            {
                int o = r < rows ? tileOffsets[at + r] : -1;
                masks[tap * 8 + r] = o >= 0 ? -1 : 0;
                if (o < 0) continue;
                if (!any) { start = o - r; any = true; }
                else if (o != start + r) return false;
            }
            bases[tap] = start;
        }
        return true;
    }

    /// <summary>One pixel tile of `rows` pixels x one group of gw channels over kc rows of depth, on the widest vectors allowed.</summary>
    private static unsafe void StreamedBlock(float* a, float* b, int gw, float* y, nint ldy, int kc, int rows, bool first, float* bias, Activation act, int maxWidth, float* prefetch)
    {
        if (maxWidth >= 16 && Simd512.IsSupported)
        {
            int vectors = gw / 16;
            switch (rows)
            {
                case 8: StreamedVectors<Simd512, Vector512<float>, TileRows8>(a, b, gw, y, ldy, kc, first, bias, act, vectors, prefetch); break;
                case 7: StreamedVectors<Simd512, Vector512<float>, TileRows7>(a, b, gw, y, ldy, kc, first, bias, act, vectors, prefetch); break;
                case 6: StreamedVectors<Simd512, Vector512<float>, TileRows6>(a, b, gw, y, ldy, kc, first, bias, act, vectors, prefetch); break;
                case 5: StreamedVectors<Simd512, Vector512<float>, TileRows5>(a, b, gw, y, ldy, kc, first, bias, act, vectors, prefetch); break;
                case 4: StreamedVectors<Simd512, Vector512<float>, TileRows4>(a, b, gw, y, ldy, kc, first, bias, act, vectors, prefetch); break;
                case 3: StreamedVectors<Simd512, Vector512<float>, TileRows3>(a, b, gw, y, ldy, kc, first, bias, act, vectors, prefetch); break;
                case 2: StreamedVectors<Simd512, Vector512<float>, TileRows2>(a, b, gw, y, ldy, kc, first, bias, act, vectors, prefetch); break;
                default: StreamedVectors<Simd512, Vector512<float>, TileRows1>(a, b, gw, y, ldy, kc, first, bias, act, vectors, prefetch); break;
            }
        }
        else if (maxWidth >= 8 && Simd256.IsSupported)
        {
            // One vector at a time: R accumulators, which 16 registers hold.
            for (int j = 0; j < gw; j += 8) StreamedRows<Simd256, Vector256<float>>(a, b + j, gw, y + j, ldy, kc, rows, first, bias + j, act);
        }
        else if (maxWidth >= 4 && Simd128.IsSupported)
        {
            for (int j = 0; j < gw; j += 4) StreamedRows<Simd128, Vector128<float>>(a, b + j, gw, y + j, ldy, kc, rows, first, bias + j, act);
        }
        else
        {
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < gw; j++)
                {
                    float sum = 0f;
                    for (int p = 0; p < kc; p++) sum += a[p * rows + r] * b[p * gw + j];
                    float v = first ? bias[j] + sum : y[r * ldy + j] + sum;
                    y[r * ldy + j] = act.Kind switch
                    {
                        ActivationKind.Relu => MathF.Max(v, 0f),
                        ActivationKind.LeakyRelu => v < 0f ? act.Alpha * v : v,
                        ActivationKind.Clip => MathF.Min(MathF.Max(v, act.Alpha), act.Beta),
                        _ => v,
                    };
                }
        }
    }

    private static unsafe void StreamedVectors<TS, TV, R>(float* a, float* b, int gw, float* y, nint ldy, int kc, bool first, float* bias, Activation act, int vectors, float* prefetch)
        where TS : struct, ISimd<TV> where TV : struct where R : struct, ITileRows
    {
        if (vectors == 3) StreamedTile<TS, TV, R, TileRows3>(a, b, gw, y, ldy, kc, first, bias, act, prefetch);
        else if (vectors == 2) StreamedTile<TS, TV, R, TileRows2>(a, b, gw, y, ldy, kc, first, bias, act, prefetch);
        else StreamedTile<TS, TV, R, TileRows1>(a, b, gw, y, ldy, kc, first, bias, act, prefetch);
    }

    private static unsafe void StreamedRows<TS, TV>(float* a, float* b, nint ldb, float* y, nint ldy, int kc, int rows, bool first, float* bias, Activation act)
        where TS : struct, ISimd<TV> where TV : struct
    {
        switch (rows)
        {
            case 8: StreamedTile<TS, TV, TileRows8, TileRows1>(a, b, ldb, y, ldy, kc, first, bias, act, null); break;
            case 7: StreamedTile<TS, TV, TileRows7, TileRows1>(a, b, ldb, y, ldy, kc, first, bias, act, null); break;
            case 6: StreamedTile<TS, TV, TileRows6, TileRows1>(a, b, ldb, y, ldy, kc, first, bias, act, null); break;
            case 5: StreamedTile<TS, TV, TileRows5, TileRows1>(a, b, ldb, y, ldy, kc, first, bias, act, null); break;
            case 4: StreamedTile<TS, TV, TileRows4, TileRows1>(a, b, ldb, y, ldy, kc, first, bias, act, null); break;
            case 3: StreamedTile<TS, TV, TileRows3, TileRows1>(a, b, ldb, y, ldy, kc, first, bias, act, null); break;
            case 2: StreamedTile<TS, TV, TileRows2, TileRows1>(a, b, ldb, y, ldy, kc, first, bias, act, null); break;
            default: StreamedTile<TS, TV, TileRows1, TileRows1>(a, b, ldb, y, ldy, kc, first, bias, act, null); break;
        }
    }

    // R pixels x V vectors of channels (up to 8 x 3: 24 accumulators, 3 weight vectors and a broadcast in 32 AVX-512
    // registers); each weight vector feeds R FMAs, each broadcast V. The pixels' values for one row of depth are R
    // contiguous floats, the weights' one row gw contiguous floats, so both are single forward streams. R's and V's
    // unused accumulators are dead code once the types are known.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void StreamedTile<TS, TV, R, V>(float* a, float* b, nint ldb, float* y, nint ldy, int kc, bool first, float* bias, Activation act, float* prefetch)
        where TS : struct, ISimd<TV> where TV : struct where R : struct, ITileRows where V : struct, ITileRows
    {
        int w = TS.Count;
        TV c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        TV c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        TV c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
        TV c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        float* end = b + kc * ldb;
        for (; b < end; b += ldb, a += R.Count)
        {
            if (prefetch != null)
            {
                Sse.Prefetch0(prefetch);
                prefetch += StreamedLane;
            }
            TV b0 = TS.Load(b);
            TV b1 = V.Count > 1 ? TS.Load(b + w) : default;
            TV b2 = V.Count > 2 ? TS.Load(b + 2 * w) : default;
            TV av = TS.Splat(a[0]);
            c00 = TS.Fma(av, b0, c00); if (V.Count > 1) c01 = TS.Fma(av, b1, c01); if (V.Count > 2) c02 = TS.Fma(av, b2, c02);
            if (R.Count > 1)
            {
                av = TS.Splat(a[1]);
                c10 = TS.Fma(av, b0, c10); if (V.Count > 1) c11 = TS.Fma(av, b1, c11); if (V.Count > 2) c12 = TS.Fma(av, b2, c12);
            }
            if (R.Count > 2)
            {
                av = TS.Splat(a[2]);
                c20 = TS.Fma(av, b0, c20); if (V.Count > 1) c21 = TS.Fma(av, b1, c21); if (V.Count > 2) c22 = TS.Fma(av, b2, c22);
            }
            if (R.Count > 3)
            {
                av = TS.Splat(a[3]);
                c30 = TS.Fma(av, b0, c30); if (V.Count > 1) c31 = TS.Fma(av, b1, c31); if (V.Count > 2) c32 = TS.Fma(av, b2, c32);
            }
            if (R.Count > 4)
            {
                av = TS.Splat(a[4]);
                c40 = TS.Fma(av, b0, c40); if (V.Count > 1) c41 = TS.Fma(av, b1, c41); if (V.Count > 2) c42 = TS.Fma(av, b2, c42);
            }
            if (R.Count > 5)
            {
                av = TS.Splat(a[5]);
                c50 = TS.Fma(av, b0, c50); if (V.Count > 1) c51 = TS.Fma(av, b1, c51); if (V.Count > 2) c52 = TS.Fma(av, b2, c52);
            }
            if (R.Count > 6)
            {
                av = TS.Splat(a[6]);
                c60 = TS.Fma(av, b0, c60); if (V.Count > 1) c61 = TS.Fma(av, b1, c61); if (V.Count > 2) c62 = TS.Fma(av, b2, c62);
            }
            if (R.Count > 7)
            {
                av = TS.Splat(a[7]);
                c70 = TS.Fma(av, b0, c70); if (V.Count > 1) c71 = TS.Fma(av, b1, c71); if (V.Count > 2) c72 = TS.Fma(av, b2, c72);
            }
        }
        StreamedRow<TS, TV, V>(c00, c01, c02, y, first, bias, act);
        if (R.Count > 1) StreamedRow<TS, TV, V>(c10, c11, c12, y + ldy, first, bias, act);
        if (R.Count > 2) StreamedRow<TS, TV, V>(c20, c21, c22, y + 2 * ldy, first, bias, act);
        if (R.Count > 3) StreamedRow<TS, TV, V>(c30, c31, c32, y + 3 * ldy, first, bias, act);
        if (R.Count > 4) StreamedRow<TS, TV, V>(c40, c41, c42, y + 4 * ldy, first, bias, act);
        if (R.Count > 5) StreamedRow<TS, TV, V>(c50, c51, c52, y + 5 * ldy, first, bias, act);
        if (R.Count > 6) StreamedRow<TS, TV, V>(c60, c61, c62, y + 6 * ldy, first, bias, act);
        if (R.Count > 7) StreamedRow<TS, TV, V>(c70, c71, c72, y + 7 * ldy, first, bias, act);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StreamedRow<TS, TV, V>(TV s0, TV s1, TV s2, float* y, bool first, float* bias, Activation act)
        where TS : struct, ISimd<TV> where TV : struct where V : struct, ITileRows
    {
        int w = TS.Count;
        TS.Store(y, StreamedFinish<TS, TV>(s0, y, first, bias, act));
        if (V.Count > 1) TS.Store(y + w, StreamedFinish<TS, TV>(s1, y + w, first, bias + w, act));
        if (V.Count > 2) TS.Store(y + 2 * w, StreamedFinish<TS, TV>(s2, y + 2 * w, first, bias + 2 * w, act));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TV StreamedFinish<TS, TV>(TV acc, float* y, bool first, float* bias, Activation act) where TS : struct, ISimd<TV> where TV : struct
    {
        acc = TS.Add(acc, TS.Load(first ? bias : y));
        // Max/Min return their second operand when either is NaN: NaN passes through as in the unfused ops.
        return act.Kind switch
        {
            ActivationKind.None => acc,
            ActivationKind.Relu => TS.Max(default, acc),
            ActivationKind.LeakyRelu => TS.Fma(TS.Splat(act.Alpha), TS.Min(default, acc), TS.Max(default, acc)),
            _ => TS.Min(TS.Splat(act.Beta), TS.Max(TS.Splat(act.Alpha), acc)),
        };
    }
}

internal struct TileRows8 : ITileRows { public static int Count => 8; }
internal struct TileRows7 : ITileRows { public static int Count => 7; }
internal struct TileRows5 : ITileRows { public static int Count => 5; }
internal struct TileRows3 : ITileRows { public static int Count => 3; }
