// Convolution as GEMM on im2col columns written straight into the packed-panel layout of Gemm.ComputePacked:
// y[oc, pixels] = act(w[oc, cg*kH*kW] * cols[cg*kH*kW, pixels] + bias[oc]). The columns of a block of output
// pixels go to caller-provided scratch (the generator plans it in the arena), so nothing is allocated per call;
// every kernel size, stride, dilation and padding takes this path. Depthwise convolutions keep their own kernel.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

public static partial class Conv
{
    /// <summary>Floats of scratch that let <see cref="Conv2D(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, Span{float}, Activation, bool, int, ReadOnlySpan{float})"/>
    /// process the output pixels in blocks of up to blockPixels, a slice of <see cref="SliceRows"/> rows of their im2col columns at a
    /// time (0 when the convolution is depthwise and needs none).</summary>
    public static long ScratchFloats(int c, int m, int kH, int kW, int oH, int oW, int group, int blockPixels = 256)
    {
        if (group <= 0 || c % group != 0 || m % group != 0) return 0;
        int cg = c / group, mg = m / group;
        if (cg == 1 && mg == 1) return 0;
        long pixels = Math.Min((long)oH * oW, blockPixels);
        long padded = (pixels + Gemm.PanelWidth - 1) / Gemm.PanelWidth * Gemm.PanelWidth;
        return (long)SliceRows(cg * kH * kW, kH * kW) * padded;
    }

    /// <summary>
    /// <see cref="Conv2D(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int)"/>
    /// followed by an activation; with scratch (see <see cref="ScratchFloats"/>) every non-depthwise group runs as
    /// im2col + packed GEMM with bias and activation in the GEMM's epilogue. With <paramref name="channelsLast"/> x is
    /// [n, h, w, c] (the Transpose that made it [n, c, h, w] was folded away): only the im2col gather reads it
    /// differently, so this needs scratch and a non-depthwise convolution. With <c>threads</c> &gt; 1 the caller and pool
    /// workers (<see cref="Workers"/>) share the blocks of pixels, and the scratch is split into that many equal
    /// slices, one per participant. A <paramref name="residual"/> shaped as y (ResidualAddFusion) is added before the
    /// activation in the GEMM's epilogue: y = act(conv + bias + residual); it may be y itself, and otherwise must not
    /// overlap y or x; it needs the im2col path (scratch, a non-depthwise NCHW convolution).
    /// </summary>
    public static unsafe void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int group, Span<float> scratch, Activation activation,
        bool channelsLast = false, int threads = 1, ReadOnlySpan<float> residual = default)
    {
        if (threads < 1) ThrowHelper.Argument("threads must be at least 1.");
        if (group <= 0 || c % group != 0 || m % group != 0) ThrowHelper.Argument("c and m must be multiples of group.");
        int cg = c / group, mg = m / group, depth = cg * kH * kW;
        int outPlane = oH * oW;
        int sliceRows = SliceRows(depth, kH * kW);
        // Stride 2: the input's stride phases first in the scratch (shared by the threads) when there is room for them
        // and at least one panel of columns per thread behind them.
        long phaseFloats = channelsLast || !Avx2.IsSupported || (cg == 1 && mg == 1) ? 0 : StridePhaseFloats(c, h, w, kH, kW, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW);
        bool phased = phaseFloats > 0 && scratch.Length - phaseFloats >= (long)threads * sliceRows * Gemm.PanelWidth;
        Span<float> phases = phased ? scratch.Slice(0, (int)phaseFloats) : default;
        if (phased) scratch = scratch.Slice((int)phaseFloats);
        if (threads > 1) scratch = scratch.Slice(0, scratch.Length / threads);
        // Blocks of whole panels whose columns for one slice of depth fit the scratch, pairs of panels where they can
        // (the 512-bit kernel's width).
        int block = depth == 0 ? 0 : (int)Math.Min(scratch.Length / sliceRows / Gemm.PanelWidth * Gemm.PanelWidth, (long)(outPlane + Gemm.PanelWidth - 1) / Gemm.PanelWidth * Gemm.PanelWidth);
        if (block > 2 * Gemm.PanelWidth) block = block / (2 * Gemm.PanelWidth) * (2 * Gemm.PanelWidth);
        bool hasResidual = !residual.IsEmpty;
        if (hasResidual && ((cg == 1 && mg == 1) || block < Gemm.PanelWidth || channelsLast || residual.Length < (long)n * m * outPlane))
            ThrowHelper.Argument("A residual needs the im2col path (scratch, a non-depthwise NCHW convolution) and y's shape.");
        if (cg == 1 && mg == 1 && !channelsLast && outPlane > 0 && scratch.Length >= DepthwiseScratchFloats(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW))
        {
            Depthwise(x, weight, bias, y, n, c, h, w, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, scratch, threads, activation: activation);
            return;
        }
        if ((cg == 1 && mg == 1) || block < Gemm.PanelWidth || outPlane == 0)
        {
            if (channelsLast) ThrowHelper.Argument("A channels-last input needs scratch and a non-depthwise convolution.");
            Conv2D(x, weight, bias, y, n, c, h, w, m, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, group);
            activation.Apply(y.Slice(0, n * m * outPlane));
            return;
        }
        int inPlane = h * w;
        if (x.Length < n * c * inPlane || weight.Length < m * depth || y.Length < n * m * outPlane || (!bias.IsEmpty && bias.Length < m))
            ThrowHelper.Argument("A span is shorter than its shape.");
        // Where element (ic, ih, iw) of an image is: ic * channelStride + (ih * w + iw) * pixelStride.
        // With stride phases the im2col reads the phase planes: a channel is its phases, a row oW wide.
        int channelStride = phased ? (int)(phaseFloats / c) : channelsLast ? 1 : inPlane, pixelStride = channelsLast ? c : 1;
        var geometry = new Geometry(h, w, kH, kW, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, channelStride, pixelStride, phased);
        // 1x1, unit stride, no padding: the input rows are the GEMM's right operand as they are; only the pixels
        // past the last whole panel are packed. A 1x1 stride-2 unpadded Conv's one phase plane is that too.
        bool pointwise = !channelsLast && kH == 1 && kW == 1 && padTop == 0 && padLeft == 0 && (strideH == 1 && strideW == 1 && oH == h && oW == w || phased);
        // A phase plane in whole panel pairs, the rest packed (ResNet-18's 256->512 on 7x7: 49 pixels as 48 read in
        // place and 1 packed ran at 105 GFLOP/s, as 32 and 17 at 144).
        int direct = !pointwise ? 0 : phased ? outPlane / (2 * Gemm.PanelWidth) * (2 * Gemm.PanelWidth) : outPlane / Gemm.PanelWidth * Gemm.PanelWidth;
        // Narrow output rows break the contiguous runs PackColumns copies into many short pieces: gather instead.
        bool gather = Avx2.IsSupported && (oW < GatherBelowWidth || strideW * pixelStride != 1);
        // Unit stride with output rows as wide as the input's ('same' padding), or stride phases: a tap's column is
        // the input plane (its phase plane) shifted.
        bool shifted = phased || Avx2.IsSupported && !channelsLast && strideH == 1 && strideW == 1 && oW == w && kH * kW <= MaxShiftedTaps;
        int blocks = (outPlane - direct + block - 1) / block;
        // The GEMM starts from y: the residual goes there first unless it is y (the output planned in its memory).
        if (hasResidual && !Unsafe.AreSame(ref MemoryMarshal.GetReference(residual), ref MemoryMarshal.GetReference((ReadOnlySpan<float>)y)))
            residual.Slice(0, n * m * outPlane).CopyTo(y);
        // The directly read (pointwise) pixels go in chunks; shared among threads, cut so each thread gets two (a 20x20
        // layer was one 1024-pixel chunk).
        const int pair = 2 * Gemm.PanelWidth;
        int directChunk = threads <= 1 ? DirectChunk : Math.Clamp((direct + 2 * threads * pair - 1) / (2 * threads * pair) * pair, pair, DirectChunk);
        fixed (float* px = x, pw = weight, pb = bias, py = y, ps = scratch, pp = phases)
        {
            var job = new Im2ColJob
            {
                X = phased ? pp : px, W = pw, Bias = bias.IsEmpty ? null : pb, Y = py, Scratch = ps, ScratchStride = scratch.Length,
                C = c, M = m, Cg = cg, Mg = mg, Depth = depth, SliceRows = sliceRows, Taps = kH * kW, InPlane = inPlane, OutPlane = outPlane, ChannelStride = channelStride,
                Groups = group, Direct = direct, DirectChunk = directChunk, Block = block, Blocks = blocks, Gather = gather, Shifted = shifted, Geometry = geometry, Activation = activation,
                FromY = hasResidual,
            };
            // Work items: per image and group, the direct pixels' chunks, then each block.
            int perGroup = (direct + directChunk - 1) / directChunk + blocks;
            if (!phased)
            {
                Workers.For(threads, n * group * perGroup, &Im2ColItem, &job);
                return;
            }
            // One image at a time: its phases are split on the calling thread, then every thread reads them.
            for (int img = 0; img < n; img++)
            {
                SplitStridePhases(px + (nint)img * c * inPlane, c, h, w, kH, kW, oW, padTop, padLeft, pp);
                job.Y = py + (nint)img * m * outPlane;
                Workers.For(threads, group * perGroup, &Im2ColItem, &job);
            }
        }
    }

    /// <summary>
    /// Floats of a stride-2 Conv's stride phases (no dilation, NCHW): per input channel the planes x[2i + a, 2j + b]
    /// for the row phases a and column phases b its taps read, each ceil(h / 2) rows of oW, so tap (kh, kw) of output
    /// pixel p reads its phase plane at p + a constant and packs as shifted runs like a 'same' unit-stride Conv (the
    /// AVX2 gathers took 15-30% of ResNet-18's stride-2 Convs). 0 for other Convs and where a phase's row holds more
    /// than oW columns (a read would fall past the plane's rows).
    /// </summary>
    public static long StridePhaseFloats(int c, int h, int w, int kH, int kW, int oW, int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW)
    {
        if (strideH != 2 || strideW != 2 || dilationH != 1 || dilationW != 1 || kH * kW > MaxShiftedTaps || padTop < 0 || padLeft < 0 || oW <= 0) return 0;
        for (int kw = 0; kw < Math.Min(kW, 2); kw++)
            if ((w - Parity(kw - padLeft) + 1) / 2 > oW) return 0;
        return (long)c * Math.Min(kH, 2) * Math.Min(kW, 2) * ((h + 1) / 2) * oW;
    }

    private static int Parity(int v) => v & 1;

    /// <summary>Where tap (kh, kw) reads a phased channel: its phase plane's offset plus (dh oW + dw), dh and dw the tap's rows and columns of the phase grid.</summary>
    private static int PhaseShift(in Geometry g, int kh, int kw)
    {
        int rowPhases = Math.Min(g.KH, 2), colPhases = Math.Min(g.KW, 2), plane = (g.H + 1) / 2 * g.OW;
        int dh = kh - g.PadTop, dw = kw - g.PadLeft;
        int slot = (rowPhases == 2 ? Parity(dh) : 0) * colPhases + (colPhases == 2 ? Parity(dw) : 0);
        return slot * plane + (dh >> 1) * g.OW + (dw >> 1);
    }

    /// <summary>
    /// The stride phases of one image (see <see cref="StridePhaseFloats"/>): per channel, row phase and column phase a
    /// plane of ceil(h / 2) rows of oW; 16 columns per step from the even lanes of two loads (AVX-512), the rest in
    /// scalar code; positions past the input are zero.
    /// </summary>
    private static unsafe void SplitStridePhases(float* x, int c, int h, int w, int kH, int kW, int oW, int padTop, int padLeft, float* phases)
    {
        int rowPhases = Math.Min(kH, 2), colPhases = Math.Min(kW, 2), ph = (h + 1) / 2;
        nint plane = (nint)ph * oW;
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        bool vector = Avx512F.IsSupported && Vector512.IsHardwareAccelerated;
        float* dst = phases;
        for (int ic = 0; ic < c; ic++)
        {
            float* channel = x + (nint)ic * h * w;
            for (int ra = 0; ra < rowPhases; ra++)
            {
                int a = rowPhases == 2 ? ra : Parity(-padTop);
                for (int cb = 0; cb < colPhases; cb++, dst += plane)
                {
                    int b = colPhases == 2 ? cb : Parity(-padLeft);
                    int columns = Math.Min(oW, (w - b + 1) / 2);
                    for (int i = 0; i < ph; i++)
                    {
                        float* to = dst + (nint)i * oW;
                        int ih = 2 * i + a, j = 0;
                        if (ih < h)
                        {
                            float* from = channel + (nint)ih * w + b;
                            if (vector)
                                for (; 2 * j + b + 32 <= w && j + 16 <= columns; j += 16)
                                    Avx512F.PermuteVar16x32x2(Vector512.Load(from + 2 * j), even, Vector512.Load(from + 2 * j + 16)).Store(to + j);
                            for (; j < columns; j++) to[j] = from[2 * j];
                        }
                        for (; j < oW; j++) to[j] = 0f;
                    }
                }
            }
        }
    }

    // Pixels of a pointwise Conv read in place per work item (a multiple of the panel width).
    private const int DirectChunk = 1024;

    private unsafe struct Im2ColJob
    {
        public float* X, W, Bias, Y, Scratch;
        public int ScratchStride, C, M, Cg, Mg, Depth, SliceRows, Taps, InPlane, OutPlane, ChannelStride, Groups, Direct, DirectChunk, Block, Blocks;
        public bool Gather, Shifted;
        /// <summary>y holds the residual: the first slice starts from it.</summary>
        public bool FromY;
        public Geometry Geometry;
        public Activation Activation;
    }

    /// <summary>One work item of <see cref="Conv2D(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, Span{float}, Activation, bool, int, ReadOnlySpan{float})"/>: the direct pixels or one block of an image and group.</summary>
    private static unsafe void Im2ColItem(void* state, int item, int participant)
    {
        ref Im2ColJob j = ref *(Im2ColJob*)state;
        int directChunks = (j.Direct + j.DirectChunk - 1) / j.DirectChunk, perGroup = directChunks + j.Blocks;
        int ig = item / perGroup, b = item % perGroup;
        int img = ig / j.Groups, g = ig % j.Groups;
        float* xg = j.X + (nint)img * j.C * j.InPlane + (nint)g * j.Cg * j.ChannelStride;
        float* wg = j.W + (nint)g * j.Mg * j.Depth;
        float* yg = j.Y + ((nint)img * j.M + (nint)g * j.Mg) * j.OutPlane;
        float* bg = j.Bias == null ? null : j.Bias + g * j.Mg;
        if (b < directChunks)
        {
            int c0 = b * j.DirectChunk, count = Math.Min(j.DirectChunk, j.Direct - c0);
            Gemm.AccumulatePacked(wg, j.Depth, xg + c0, null, yg + c0, j.OutPlane, j.Mg, count, j.Depth, j.Activation, rowBias: bg, ldb: j.ChannelStride, fromY: j.FromY);
            return;
        }
        int p0 = j.Direct + (b - directChunks) * j.Block;
        int pixels = Math.Min(j.Block, j.OutPlane - p0);
        float* ps = j.Scratch + (nint)participant * j.ScratchStride;
        // A slice of depth at a time: its columns stay in L2 while every row of weights passes over them (a whole
        // 1152-deep block of 256 pixels was 1.2 MB, so the GEMM read its columns back from memory).
        for (int r0 = 0; r0 < j.Depth; r0 += j.SliceRows)
        {
            int rows = Math.Min(j.SliceRows, j.Depth - r0);
            float* xs = xg + (nint)(r0 / j.Taps) * j.Geometry.ChannelStride;
            if (j.Shifted) PackColumnsShifted(xs, rows / j.Taps, j.Geometry, p0, pixels, ps);
            else if (j.Gather) PackColumnsGather(xs, rows / j.Taps, j.Geometry, p0, pixels, ps);
            else PackColumns(xs, rows / j.Taps, j.Geometry, p0, pixels, ps);
            Gemm.AccumulatePacked(wg + r0, j.Depth, ps, null, yg + p0, j.OutPlane, j.Mg, pixels, rows, j.Activation, rowBias: bg,
                accumulate: r0 > 0, finish: r0 + rows == j.Depth, fromY: j.FromY);
        }
    }

    /// <summary>
    /// Rows of im2col columns packed and multiplied at a time: the packed GEMM's depth block (256) rounded down to whole
    /// input channels (252 for 3x3), one channel when its taps alone are more, all of them when the depth is less.
    /// </summary>
    public static int SliceRows(int depth, int taps) =>
        depth <= Gemm.PackedDepthBlock || taps <= 0 ? depth : taps >= Gemm.PackedDepthBlock ? taps : Gemm.PackedDepthBlock / taps * taps;

    /// <summary>A Conv's window; with Phased the input is its stride phases (<see cref="StridePhaseFloats"/>), ChannelStride apart.</summary>
    private readonly record struct Geometry(int H, int W, int KH, int KW, int OW, int StrideH, int StrideW, int PadTop, int PadLeft, int DilationH, int DilationW,
        int ChannelStride, int PixelStride, bool Phased = false);

    /// <summary>
    /// The im2col columns of output pixels [p0, p0 + pixels) in panel layout: row r = (ic, kh, kw) of panel q holds
    /// pixels p0 + 16q .. + 16 at packed[q * depth * 16 + r * 16 + lane]; padding and the last panel's tail are zero.
    /// </summary>
    private static unsafe void PackColumns(float* x, int cg, in Geometry g, int p0, int pixels, float* packed)
    {
        int taps = g.KH * g.KW, depth = cg * taps, panelWidth = Gemm.PanelWidth;
        nint panelStride = (nint)depth * panelWidth;
        int padded = (pixels + panelWidth - 1) / panelWidth * panelWidth;
        int gatherStep = g.StrideW * g.PixelStride;
        var indices = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * gatherStep;
        for (int r = 0; r < depth; r++)
        {
            int ic = r / taps, t = r % taps, kh = t / g.KW, kw = t % g.KW;
            float* plane = x + (nint)ic * g.ChannelStride;
            float* row = packed + (nint)r * panelWidth;
            int rowOffset = kh * g.DilationH - g.PadTop, colOffset = kw * g.DilationW - g.PadLeft;
            int validFirst = FirstValid(colOffset, g.StrideW), validEnd = EndValid(colOffset, g.StrideW, g.W, g.OW); // output columns reading inside the row
            int oh = p0 / g.OW, ow = p0 % g.OW;
            int o = 0;
            while (o < pixels)
            {
                // One run along an output row: valid input columns are a contiguous (strided) range of ow.
                int run = Math.Min(pixels - o, g.OW - ow);
                int ih = oh * g.StrideH + rowOffset;
                if ((uint)ih >= (uint)g.H)
                {
                    Zero(row, panelStride, o, o + run);
                }
                else
                {
                    float* src = plane + ((nint)ih * g.W + colOffset) * g.PixelStride;
                    int step = g.StrideW * g.PixelStride;
                    int first = Math.Max(validFirst, ow), end = Math.Min(validEnd, ow + run);
                    if (end < first) end = first;
                    first = Math.Min(first, ow + run);
                    Zero(row, panelStride, o, o + first - ow);
                    Gather(row, panelStride, o + first - ow, o + end - ow, src + (nint)first * step, step, indices);
                    Zero(row, panelStride, o + end - ow, o + run);
                }
                o += run;
                ow += run;
                if (ow == g.OW)
                {
                    ow = 0;
                    oh++;
                }
            }
            Zero(row, panelStride, o, padded);
        }
    }

    // Output rows narrower than this many pixels are packed by masked gathers (see PackColumnsGather).
    private const int GatherBelowWidth = 32;

    /// <summary>
    /// <see cref="PackColumns"/> a panel at a time with AVX2 masked gathers: per panel the output row and column of
    /// each of its 16 pixels, then per (ic, kh, kw) row the 16 source offsets, taps outside the input masked to zero.
    /// Its cost does not depend on how the pixels fall into output rows.
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void PackColumnsGather(float* x, int cg, in Geometry g, int p0, int pixels, float* packed)
    {
        int taps = g.KH * g.KW, depth = cg * taps, panelWidth = Gemm.PanelWidth;
        nint panelStride = (nint)depth * panelWidth;
        int* lanes = stackalloc int[2 * panelWidth];
        var h = Vector256.Create(g.H);
        var w = Vector256.Create(g.W);
        var minusOne = Vector256.Create(-1);
        for (int q = 0; q * panelWidth < pixels; q++)
        {
            // Pixels past the block get an output row whose every tap lands above the input, so they mask to zero.
            for (int lane = 0; lane < panelWidth; lane++)
            {
                int p = q * panelWidth + lane;
                lanes[lane] = p < pixels ? (p0 + p) / g.OW : -((g.KH - 1) * g.DilationH + 1);
                lanes[panelWidth + lane] = p < pixels ? (p0 + p) % g.OW : 0;
            }
            var rowLo = Vector256.Load(lanes) * g.StrideH;
            var rowHi = Vector256.Load(lanes + 8) * g.StrideH;
            var colLo = Vector256.Load(lanes + panelWidth) * g.StrideW;
            var colHi = Vector256.Load(lanes + panelWidth + 8) * g.StrideW;
            float* panel = packed + q * panelStride;
            int r = 0;
            for (int ic = 0; ic < cg; ic++)
            {
                float* plane = x + (nint)ic * g.ChannelStride;
                for (int kh = 0; kh < g.KH; kh++)
                {
                    var rowOffset = Vector256.Create(kh * g.DilationH - g.PadTop);
                    var ihLo = rowLo + rowOffset;
                    var ihHi = rowHi + rowOffset;
                    var rowOkLo = Avx2.CompareGreaterThan(ihLo, minusOne) & Avx2.CompareGreaterThan(h, ihLo);
                    var rowOkHi = Avx2.CompareGreaterThan(ihHi, minusOne) & Avx2.CompareGreaterThan(h, ihHi);
                    for (int kw = 0; kw < g.KW; kw++, r++)
                    {
                        var colOffset = Vector256.Create(kw * g.DilationW - g.PadLeft);
                        var iwLo = colLo + colOffset;
                        var iwHi = colHi + colOffset;
                        var okLo = rowOkLo & Avx2.CompareGreaterThan(iwLo, minusOne) & Avx2.CompareGreaterThan(w, iwLo);
                        var okHi = rowOkHi & Avx2.CompareGreaterThan(iwHi, minusOne) & Avx2.CompareGreaterThan(w, iwHi);
                        // Masked-off lanes are not read: their offsets may point anywhere.
                        var atLo = (ihLo * g.W + iwLo) * g.PixelStride;
                        var atHi = (ihHi * g.W + iwHi) * g.PixelStride;
                        float* dst = panel + r * panelWidth;
                        Avx2.GatherMaskVector256(Vector256<float>.Zero, plane, atLo, okLo.AsSingle(), sizeof(float)).Store(dst);
                        Avx2.GatherMaskVector256(Vector256<float>.Zero, plane, atHi, okHi.AsSingle(), sizeof(float)).Store(dst + 8);
                    }
                }
            }
        }
    }

    // Taps of a kernel up to which PackColumnsShifted keeps their masks on the stack.
    private const int MaxShiftedTaps = 64;

    /// <summary>
    /// <see cref="PackColumns"/> for unit strides and output rows as wide as the input rows: pixel p of tap (kh, kw) reads
    /// the plane at p + (kh dH - padTop) w + kw dW - padLeft, so a panel's 16 values are one shifted run of the plane,
    /// taken by two masked loads (AVX vmaskmovps, which does not touch masked-off lanes) with the taps that fall into
    /// the padding or past the block masked to zero. The masks depend on the panel and the tap, not on the channel.
    /// (Gathers took a quarter of ResNet-18's 28x28 and 14x14 Convs.) With g.Phased x is the stride phases of a
    /// stride-2 Conv, where the same holds with rows oW wide (<see cref="StridePhaseFloats"/>).
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void PackColumnsShifted(float* x, int cg, in Geometry g, int p0, int pixels, float* packed)
    {
        int taps = g.KH * g.KW, depth = cg * taps, panelWidth = Gemm.PanelWidth;
        nint panelStride = (nint)depth * panelWidth;
        var masks = stackalloc Vector256<float>[2 * MaxShiftedTaps];
        int* shifts = stackalloc int[MaxShiftedTaps];
        int* lanes = stackalloc int[2 * panelWidth];
        var h = Vector256.Create(g.H);
        var w = Vector256.Create(g.W);
        var minusOne = Vector256.Create(-1);
        for (int kh = 0, t = 0; kh < g.KH; kh++)
            for (int kw = 0; kw < g.KW; kw++, t++) shifts[t] = g.Phased ? PhaseShift(g, kh, kw) : (kh * g.DilationH - g.PadTop) * g.W + kw * g.DilationW - g.PadLeft;
        for (int q = 0; q * panelWidth < pixels; q++)
        {
            // Pixels past the block get an output row whose every tap lands above the input, so they mask to zero.
            for (int lane = 0; lane < panelWidth; lane++)
            {
                int p = q * panelWidth + lane;
                lanes[lane] = p < pixels ? (p0 + p) / g.OW : -((g.KH - 1) * g.DilationH + 1);
                lanes[panelWidth + lane] = p < pixels ? (p0 + p) % g.OW : 0;
            }
            var rowLo = Vector256.Load(lanes) * g.StrideH;
            var rowHi = Vector256.Load(lanes + 8) * g.StrideH;
            var colLo = Vector256.Load(lanes + panelWidth) * g.StrideW;
            var colHi = Vector256.Load(lanes + panelWidth + 8) * g.StrideW;
            for (int kh = 0, t = 0; kh < g.KH; kh++)
            {
                var rowOffset = Vector256.Create(kh * g.DilationH - g.PadTop);
                var ihLo = rowLo + rowOffset;
                var ihHi = rowHi + rowOffset;
                var rowOkLo = Avx2.CompareGreaterThan(ihLo, minusOne) & Avx2.CompareGreaterThan(h, ihLo);
                var rowOkHi = Avx2.CompareGreaterThan(ihHi, minusOne) & Avx2.CompareGreaterThan(h, ihHi);
                for (int kw = 0; kw < g.KW; kw++, t++)
                {
                    var colOffset = Vector256.Create(kw * g.DilationW - g.PadLeft);
                    var iwLo = colLo + colOffset;
                    var iwHi = colHi + colOffset;
                    masks[2 * t] = (rowOkLo & Avx2.CompareGreaterThan(iwLo, minusOne) & Avx2.CompareGreaterThan(w, iwLo)).AsSingle();
                    masks[2 * t + 1] = (rowOkHi & Avx2.CompareGreaterThan(iwHi, minusOne) & Avx2.CompareGreaterThan(w, iwHi)).AsSingle();
                }
            }
            float* panel = packed + q * panelStride;
            float* plane = x + p0 + q * panelWidth;
            for (int ic = 0; ic < cg; ic++, plane += g.ChannelStride)
            {
                for (int t = 0; t < taps; t++)
                {
                    float* src = plane + shifts[t];
                    Avx.MaskLoad(src, masks[2 * t]).Store(panel);
                    Avx.MaskLoad(src + 8, masks[2 * t + 1]).Store(panel + 8);
                    panel += panelWidth;
                }
            }
        }
    }

    /// <summary>Zeroes packed positions [from, to) of one row, a panel segment at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Zero(float* row, nint panelStride, int from, int to)
    {
        while (from < to)
        {
            int lane = from & 15, count = Math.Min(16 - lane, to - from);
            if (count == 16 && Vector512.IsHardwareAccelerated) Vector512.Store(Vector512<float>.Zero, row + (from >> 4) * panelStride);
            else new Span<float>(row + (from >> 4) * panelStride + lane, count).Clear();
            from += count;
        }
    }

    /// <summary>
    /// Packed positions [from, to) of one row from src[0], src[step], ...: contiguous copies for unit steps, 512-bit
    /// gathers of whole panel rows otherwise (indices holds 0, step, ..., 7 step), scalar for the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Gather(float* row, nint panelStride, int from, int to, float* src, int step, Vector256<int> indices)
    {
        while (from < to)
        {
            int lane = from & 15, count = Math.Min(16 - lane, to - from);
            float* dst = row + (from >> 4) * panelStride + lane;
            if (count == 16 && step == 1 && Vector512.IsHardwareAccelerated) Vector512.Store(Vector512.Load(src), dst);
            else if (step == 1) Buffer.MemoryCopy(src, dst, count * sizeof(float), count * sizeof(float));
            else if (count == 16 && Avx2.IsSupported)
            {
                Avx2.GatherVector256(src, indices, sizeof(float)).Store(dst);
                Avx2.GatherVector256(src + (nint)8 * step, indices, sizeof(float)).Store(dst + 8);
            }
            else for (int i = 0; i < count; i++) dst[i] = src[(nint)i * step];
            src += (nint)count * step;
            from += count;
        }
    }
}
