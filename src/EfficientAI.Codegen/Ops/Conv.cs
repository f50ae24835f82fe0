using System;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Conv: groups, dilations, explicit/asymmetric pads, auto_pad, kernel_shape inferred from W. 1-D and 2-D use the
/// im2col/GEMM kernel; 3-D and more a direct N-D kernel.
/// </summary>
internal sealed class ConvOp : Operator
{
    public override string OpType => "Conv";

    /// <summary>The input's [N, C, spatial...] shape, whichever layout it is stored in (see Node.ChannelsLastInput).</summary>
    private static int[] InputShape(OpContext ctx)
    {
        var x = ctx.Shape(0);
        return ctx.Node.ChannelsLastInput && x.Length == 4 ? new[] { x[0], x[3], x[1], x[2] } : x;
    }

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        ctx.RequireFloat(1);
        var x = InputShape(ctx);
        var w = ctx.Shape(1);
        if (x.Length < 3) throw ctx.Fail($"input must be [N, C, spatial...], not {Shape.Format(x)}");
        if (w.Length != x.Length) throw ctx.Fail($"weight rank {w.Length} differs from input rank {x.Length}");
        int group = (int)ctx.Int("group", 1);
        if (group <= 0 || x[1] % group != 0 || w[0] % group != 0 || w[1] * group != x[1])
            throw ctx.Fail($"group {group} does not divide input channels {x[1]} and weight {Shape.Format(w)}");
        if (ctx.Has(2) && Shape.Elements(ctx.Shape(2)) != w[0]) throw ctx.Fail($"bias has {Shape.Elements(ctx.Shape(2))} values, expected {w[0]}");
        var window = Window.Resolve(ctx, x.Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? w.Skip(2).ToArray());
        ctx.SetOutput(0, DataType.Float, new[] { x[0], w[0] }.Concat(window.Output).ToArray());
    }

    /// <summary>Direct N-D convolution in double (constant folding, and calibration's compile-time run of the float graph).</summary>
    public override bool TryEvaluate(OpContext ctx)
    {
        if (ctx.Node.ChannelsLastInput) return false; // the reference below reads [N, C, spatial...]
        var xs = ctx.Shape(0);
        var ws = ctx.Shape(1);
        var win = Window.Resolve(ctx, xs.Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? ws.Skip(2).ToArray());
        var x = ctx.Const(0)!.ToFloats();
        var w = ctx.Const(1)!.ToFloats();
        var bias = ctx.Has(2) ? ctx.Const(2)!.ToFloats() : null;
        var ys = new[] { xs[0], ws[0] }.Concat(win.Output).ToArray();
        var y = new float[Shape.ElementsInt(ys)];
        int group = (int)ctx.Int("group", 1), n = xs[0], c = xs[1], m = ws[0], cg = c / group, mg = m / group;
        var inShape = xs.Skip(2).ToArray();
        int r = inShape.Length, inPlane = Shape.ElementsInt(inShape), outPlane = Shape.ElementsInt(win.Output), window = Shape.ElementsInt(win.Kernel);
        var o = new int[r];
        var k = new int[r];
        for (int b = 0; b < n; b++)
            for (int mm = 0; mm < m; mm++)
            {
                int g = mm / mg;
                System.Array.Clear(o, 0, r);
                for (int at = 0; at < outPlane; at++)
                {
                    double sum = bias is null ? 0 : bias[mm];
                    System.Array.Clear(k, 0, r);
                    for (int kn = 0; kn < window; kn++)
                    {
                        int offset = 0;
                        bool inside = true;
                        for (int d = 0; d < r; d++)
                        {
                            int p = o[d] * win.Strides[d] - win.PadBegin[d] + k[d] * win.Dilations[d];
                            if (p < 0 || p >= inShape[d]) inside = false;
                            offset = offset * inShape[d] + p;
                        }
                        if (inside)
                            for (int cc = 0; cc < cg; cc++)
                                sum += (double)w[(mm * cg + cc) * window + kn] * x[(b * c + g * cg + cc) * inPlane + offset];
                        for (int d = r - 1; d >= 0 && ++k[d] == win.Kernel[d]; d--) k[d] = 0;
                    }
                    y[(b * m + mm) * outPlane + at] = (float)sum;
                    for (int d = r - 1; d >= 0 && ++o[d] == win.Output[d]; d--) o[d] = 0;
                }
            }
        ctx.SetConst(0, Tensor.FromFloats(ys, y));
        return true;
    }

    /// <summary>A Conv with a residual (ResidualAddFusion) may write over it: Conv.Pointwise, the packed GEMM's epilogue and Winograd's output stores read each element before writing it.</summary>
    public override int InPlaceInput(OpContext ctx) => ctx.Node.HasInput(ResidualInput) ? ResidualInput : -1;

    public override long Macs(OpContext ctx)
    {
        var w = ctx.Shape(1);
        return Shape.Elements(ctx.Output(0).RequireShape) * Shape.Elements(w.Skip(1).ToArray());
    }

    /// <summary>
    /// im2col columns for a block of output pixels in the packed GEMM layout (Conv.Conv2D with scratch), one slice of
    /// at most 256 rows of depth at a time. The block is at most 256 pixels and 1 MB, whole pairs of panels where it
    /// can be, at least 64 pixels while that fits 256 KB, and otherwise no larger than the Conv's own input or output
    /// tensor, so the scratch never dominates a small model's arena; at least one 16-pixel panel. Stride-2 Convs get
    /// their input's stride phases ahead of it (about the input's size). Depthwise convolutions get one zero-padded
    /// input plane instead.
    /// </summary>
    public override long ScratchFloats(OpContext ctx) =>
        ctx.Node.HasInput(ResidualInput) && !TakesResidual(ctx) ? 0 : UsesDirect(ctx) ? DirectScratchFloats(ctx) : UsesFewPixels(ctx) ? FewPixelsScratchFloats(ctx)
            : ScratchPerThread(ctx) is long perThread and > 0 ? StridePhaseFloats(ctx) + perThread * ThreadsFor(ctx) : 0;

    // Conv.MaxShiftedTaps: the taps whose packing masks the runtime keeps on the stack.
    private const int MaxShiftedTaps = 64;

    /// <summary>
    /// Conv.StridePhaseFloats: a stride-2 im2col Conv (no dilation, NCHW) reads its input split into the 2x2 stride
    /// phases its taps use, each ceil(h / 2) rows of oW, so its columns pack as shifted runs instead of gathers; 0 where
    /// a phase's row would be wider than the output's, and for the kernels that do not read them.
    /// </summary>
    private static long StridePhaseFloats(OpContext ctx)
    {
        var x = InputShape(ctx);
        var w = ctx.Shape(1);
        var y = ctx.Output(0).RequireShape;
        int group = (int)ctx.Int("group", 1);
        if (x.Length != 4 || ctx.Node.ChannelsLastInput || (x[1] / group == 1 && w[0] / group == 1) || Pruned(ctx)) return 0;
        var win = Window.Resolve(ctx, x.Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? w.Skip(2).ToArray());
        if (win.Strides[0] != 2 || win.Strides[1] != 2 || win.Dilations[0] != 1 || win.Dilations[1] != 1 || win.PadBegin[0] < 0 || win.PadBegin[1] < 0) return 0;
        int kH = win.Kernel[0], kW = win.Kernel[1], oW = y[3];
        if ((long)kH * kW > MaxShiftedTaps || oW <= 0) return 0;
        for (int kw = 0; kw < Math.Min(kW, 2); kw++)
            if ((x[3] - ((kw - win.PadBegin[1]) & 1) + 1) / 2 > oW) return 0;
        return (long)x[1] * Math.Min(kH, 2) * Math.Min(kW, 2) * ((x[2] + 1) / 2) * oW;
    }

    // The residual ResidualAddFusion gives a Conv (not an ONNX input: Conv has three).
    private const int ResidualInput = 3;

    /// <summary>
    /// A Conv whose own kernel adds a residual (ResidualAddFusion) before its activation: im2col + packed GEMM
    /// (Conv.Conv2D) of one group, NCHW, with constant float weights. 1x1 unit-stride unpadded Convs are
    /// ResidualAddFusion's own case (Conv.Pointwise); so is the streamed few-pixel kernel (large weights, ResNet-18's 7x7
    /// stage); the direct, other few-pixel, depthwise, pruned and N-D kernels take none, and neither does Winograd: Conv.Conv2DWinograd can add one as it stores its output rows, but that cost
    /// more than the Add and Relu it replaced (ResNet-18 per node: 56x56 +45 us, 28x28 +105 us per block).
    /// </summary>
    internal static bool TakesResidual(OpContext ctx)
    {
        var x = InputShape(ctx);
        var w = ctx.Shape(1);
        var y = ctx.Output(0).RequireShape;
        if (x.Length != 4 || ctx.Node.ChannelsLastInput || ctx.Int("group", 1) != 1 || (x[1] == 1 && w[0] == 1) || ctx.Const(1) is not { Type: DataType.Float }) return false;
        if (Shape.Elements(y) == 0 || Shape.Elements(w) == 0 || WinogradDilation(ctx) > 0) return false;
        if (UsesStreamed(ctx)) return true;
        var win = Window.Resolve(ctx, x.Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? w.Skip(2).ToArray());
        bool pointwise = win.Kernel.All(k => k == 1) && win.Strides.All(st => st == 1) && win.PadBegin.All(p => p == 0) && win.Output.SequenceEqual(x.Skip(2));
        return !pointwise && !UsesDirect(ctx) && !UsesFewPixels(ctx) && !Pruned(ctx);
    }

    // Output pixels up to which a Conv runs as pixels x packed weights (Conv.Conv2DFewPixels): half a panel or less.
    private const int FewPixelsMax = 8;

    // Up to 64 output pixels, weights of 512 KB or more also run there: im2col's path re-reads them from memory for
    // every panel pair of pixels, this one streams them once (ResNet-18's 512->512 3x3 on 7x7: 3.2 -> 1.6 ms; a
    // 332 KB 96->96 3x3 on 8x8 is faster on im2col, 70 vs 116 us, as are 1x1 Convs, which read their input in place).
    private const int FewPixelsLargeWeightsMax = 64;
    private const long LargeWeightFloats = 128 * 1024;

    /// <summary>
    /// A 1-D or 2-D Conv of one group with at most 8 output pixels (64 with 512 KB+ of weights) and constant weights that pack without much padding:
    /// the weights, packed at compile time as a Gemm's right operand, meet the pixels' im2col rows, so the GEMM's
    /// 16-wide panels run over output channels (Silero VAD's Convs on 1-7 frames left 9-15 of 16 pixel lanes empty).
    /// </summary>
    private static bool UsesFewPixels(OpContext ctx)
    {
        var x = InputShape(ctx);
        var w = ctx.Shape(1);
        var y = ctx.Output(0).RequireShape;
        long pixels = Shape.Elements(y.Skip(2).ToArray());
        return (x.Length == 3 || x.Length == 4) && !ctx.Node.ChannelsLastInput && ctx.Int("group", 1) == 1 && pixels > 0
            && (pixels <= FewPixelsMax || pixels <= FewPixelsLargeWeightsMax && Shape.Elements(w) >= LargeWeightFloats && w.Skip(2).Any(k => k > 1))
            && Shape.Elements(w.Skip(1).ToArray()) > 0 && PackedWeights.Worthwhile(w[0]) && ctx.Const(1) is { Type: DataType.Float } && !UsesDirect(ctx) && !Pruned(ctx);
    }

    private static long FewPixelsScratchFloats(OpContext ctx)
    {
        var w = ctx.Shape(1);
        long pixels = Shape.Elements(ctx.Output(0).RequireShape.Skip(2).ToArray()), depth = Shape.Elements(w.Skip(1).ToArray());
        if (!StreamsWeights(ctx)) return pixels * (depth + w[0]);
        // Conv.StreamedScratchFloats: pixel tiles (up to 7 padding pixels) of im2col, tap offsets and sums, and the bias.
        long mPad = (w[0] + PanelWidth - 1L) / PanelWidth * PanelWidth, taps = Shape.Elements(w.Skip(2).ToArray());
        return (pixels + 7) * (depth + mPad + taps) + mPad;
    }

    /// <summary>
    /// A few-pixel Conv with 512 KB+ of weights (ResNet-18's 7x7 stage: 9.4 MB per layer) runs on
    /// Conv.Conv2DFewPixelsStreamed: the weights laid out in the order it reads them, one sequential stream.
    /// </summary>
    private static bool StreamsWeights(OpContext ctx) => Shape.Elements(ctx.Shape(1)) >= LargeWeightFloats;

    /// <summary>A few-pixel Conv on the streamed kernel (Conv.Conv2DFewPixelsStreamed), which also adds a residual in its epilogue.</summary>
    private static bool UsesStreamed(OpContext ctx) => UsesFewPixels(ctx) && StreamsWeights(ctx);

    // Input channels up to which a Conv runs on the direct kernel (Conv.Conv2DDirect): a first layer's RGB(A).
    private const int DirectMaxChannels = 4;

    // Conv.DirectMaxDepth: the direct kernel's offset table lives on the stack.
    private const int DirectMaxDepth = 1024;

    // Output columns below which im2col stays: the kernel's tiles are 32 columns wide (the digits CNN's 8-wide first
    // Conv ran 0.7 -> 1.0 us on it).
    private const int DirectMinWidth = 32;

    /// <summary>
    /// A 2-D Conv of one group on at most 4 input channels, 4+ outputs and output rows of 32+ pixels (a first layer) runs on the direct kernel:
    /// phase planes of its input in scratch and an implicit GEMM reading them in place, where im2col's gather of a
    /// c kH kW-deep panel took as long as the GEMM (BlazeFace's 3-channel 5x5 stride 2: 200 -> 99 us).
    /// </summary>
    private static bool UsesDirect(OpContext ctx)
    {
        var x = InputShape(ctx);
        var w = ctx.Shape(1);
        var y = ctx.Output(0).RequireShape;
        return x.Length == 4 && ctx.Int("group", 1) == 1 && x[1] <= DirectMaxChannels && w[0] >= 4 && y[3] >= DirectMinWidth
            && (long)x[1] * w[2] * w[3] <= DirectMaxDepth && Shape.Elements(y) > 0 && !Pruned(ctx);
    }

    /// <summary>Mostly zero constant weights (Prune), which Emit gives to the sparse im2col kernel.</summary>
    private static bool Pruned(OpContext ctx) => ctx.Const(1) is { Type: DataType.Float } weight && SparseWeights.Sparsity(weight) >= SparseWeights.ConvMinSparsity;

    /// <summary>Conv.DirectScratchFloats: one image's phase planes, shared by every thread.</summary>
    private static long DirectScratchFloats(OpContext ctx)
    {
        var x = InputShape(ctx);
        var y = ctx.Output(0).RequireShape;
        var win = Window.Resolve(ctx, x.Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? ctx.Shape(1).Skip(2).ToArray());
        long rows = y[2] + (long)(win.Kernel[0] - 1) * win.Dilations[0] / win.Strides[0];
        long width = (y[3] + 31L) / 32 * 32 + (long)(win.Kernel[1] - 1) * win.Dilations[1] / win.Strides[1];
        return (long)x[1] * win.Strides[0] * win.Strides[1] * rows * width;
    }

    private long ScratchPerThread(OpContext ctx)
    {
        var x = InputShape(ctx);
        var w = ctx.Shape(1);
        var y = ctx.Output(0).RequireShape;
        int group = (int)ctx.Int("group", 1);
        int cg = x[1] / group, mg = w[0] / group;
        if (x.Length > 4) return 0; // the N-D kernel is direct
        if (cg == 1 && mg == 1)
        {
            // Depthwise: one zero-padded input plane and one output row (Conv.DepthwiseScratchFloats).
            if (ctx.Node.ChannelsLastInput || Shape.Elements(y) == 0) return 0;
            var win = Window.Resolve(ctx, x.Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? w.Skip(2).ToArray());
            bool is1D = x.Length == 3;
            int last = win.Kernel.Length - 1, kH = is1D ? 1 : win.Kernel[0], kW = win.Kernel[last];
            int oH = is1D ? 1 : y[2], oW = y[y.Length - 1], strideH = is1D ? 1 : win.Strides[0], dilationH = is1D ? 1 : win.Dilations[0];
            long dense = ((long)(oW - 1) * win.Strides[last] + DepthwiseVector) / DepthwiseVector * DepthwiseVector;
            long rowKernel = ((long)(oH - 1) * strideH + (long)(kH - 1) * dilationH + 1) * (dense + (long)(kW - 1) * win.Dilations[last]) + dense;
            if (is1D) return rowKernel;
            // Conv.DepthwiseBlockedScratchFloats: one 16-channel block's padded plane, a tile's overrun, weights, bias, alignment.
            long planeRows = (long)(oH - 1) * strideH + (long)(kH - 1) * dilationH + 1, width = (long)(oW - 1) * win.Strides[1] + (long)(kW - 1) * win.Dilations[1] + 1;
            return Math.Max(rowKernel, (planeRows * width + (long)DepthwiseVector * win.Strides[1] + kH * kW + 2) * DepthwiseVector);
        }
        if (WinogradDilation(ctx) > 0)
            return (long)WinogradPositions * (x[1] + w[0]) * Math.Min(WinogradBlockTiles, (WinogradTiles(ctx) + PanelWidth - 1) / PanelWidth * PanelWidth)
                + WinogradSlackFloats;
        long depth = Shape.Elements(w.Skip(1).ToArray());
        long pixels = Shape.Elements(y.Skip(2).ToArray());
        if (depth == 0 || pixels == 0) return 0;
        long tensor = Math.Max(Shape.Elements(x), Shape.Elements(y));
        // The runtime packs and multiplies the columns a slice of depth at a time (Conv.SliceRows), so the scratch
        // holds one slice of a block.
        long rows = SliceRows(depth, w.Skip(2).Aggregate(1L, (a, b) => a * b));
        // Whole panel pairs where possible: the 512-bit micro-kernel takes two panels at a time, a lone panel runs
        // at half width (M-LSD's 128-channel 3x3 Convs got 48-pixel blocks under a 256 KB cap: a third at half width).
        // A slice instead of the whole depth under the tensor bound: ResNet-18's 14x14 Convs (2,304 deep) got 16-pixel
        // blocks (2.8 ms each), now 192 pixels of 196 (1.4 ms with the plane in one block).
        long block = Math.Min(256, Math.Min(MaxScratchFloats, tensor) / rows);
        block = block >= 2 * PanelWidth ? block / (2 * PanelWidth) * (2 * PanelWidth) : block / PanelWidth * PanelWidth;
        // At least 64 pixels (4 panels) while that stays under 256 KB: a small Conv in 16-pixel blocks ran at half
        // speed (the digits CNN's 16->32 3x3 on 8x8: 30 us in 16-pixel blocks, 15 us in one 64-pixel block).
        long floor = rows * 4 * PanelWidth <= SmallScratchFloats ? 4 * PanelWidth : PanelWidth;
        block = Math.Min(Math.Max(floor, block), (pixels + PanelWidth - 1) / PanelWidth * PanelWidth);
        return rows * block;
    }

    // Scratch a block of at least 64 pixels may take (256 KB), however small the Conv's tensors.
    private const long SmallScratchFloats = 65536;

    // The packed GEMM's depth block (Gemm.PackedDepthBlock).
    private const long DepthBlock = 256;

    /// <summary>Conv.SliceRows: the depth block rounded down to whole input channels, one channel if its taps are more, all of a shallower depth.</summary>
    private static long SliceRows(long depth, long taps) =>
        depth <= DepthBlock || taps <= 0 ? depth : taps >= DepthBlock ? taps : DepthBlock / taps * taps;

    private const int PanelWidth = PackedWeights.PanelWidth;

    // Winograd F(4x4, 3x3) (Conv.Conv2DWinograd): 6x6 transformed tiles, blocks of two 16-tile panels.
    private const int WinogradPositions = 36;
    private const int WinogradBlockTiles = 32;

    // Conv.WinogradScratchFloats: a 16-float slack row after each position's transformed inputs and products.
    private const int WinogradSlackFloats = 2 * WinogradPositions * 16;

    // Channels below which a 3x3 Conv stays on im2col: the per-channel transforms outweigh the GEMM they save.
    private const int WinogradMinChannels = 16;

    // Output pixels below which a 3x3 Conv stays on im2col: the transformed weights take 4x the ROM, which pays only
    // where each weight serves many pixels. With the shuffled transforms a 28x28 output runs 2.7-2.9x faster than
    // im2col (128->128: 541 vs 1,594 us; 64->64: 177 vs 477 us; a kernel loop under load) for +5.3 MB of ResNet-18's
    // ROM (65.3 -> 70.6 MB); 14x14 (256->256: 883 vs 1,524 us) would add another 21 MB, so it stays on im2col.
    private const int WinogradMinPixels = 784;

    /// <summary>
    /// The dilation of a Conv that runs as Winograd F(4x4, 3x3), or 0: 2-D, NCHW, one group, 3x3, stride 1, equal
    /// dilations, constant float weights (transformed at compile time), at least 16 input and output channels and
    /// 784 output pixels (28x28). With 64-128 channels it runs M-LSD's 3x3 Convs 2.2x faster than im2col.
    /// </summary>
    private static int WinogradDilation(OpContext ctx)
    {
        var x = InputShape(ctx);
        var w = ctx.Shape(1);
        if (x.Length != 4 || ctx.Node.ChannelsLastInput || ctx.Int("group", 1) != 1 || w[2] != 3 || w[3] != 3) return 0;
        if (x[1] < WinogradMinChannels || w[0] < WinogradMinChannels) return 0;
        if (ctx.Const(1) is not { Type: DataType.Float } weight || SparseWeights.Sparsity(weight) >= SparseWeights.ConvMinSparsity) return 0;
        var win = Window.Resolve(ctx, x.Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? w.Skip(2).ToArray());
        if (win.Kernel[0] != 3 || win.Kernel[1] != 3 || win.Strides[0] != 1 || win.Strides[1] != 1 || win.Dilations[0] != win.Dilations[1]) return 0;
        if ((long)win.Output[0] * win.Output[1] < WinogradMinPixels) return 0;
        return WinogradTiles(ctx, win) >= PanelWidth ? win.Dilations[0] : 0;
    }

    private static int WinogradTiles(OpContext ctx) =>
        WinogradTiles(ctx, Window.Resolve(ctx, InputShape(ctx).Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? ctx.Shape(1).Skip(2).ToArray()));

    /// <summary>Conv.WinogradTiles: 4x4 output tiles per dilation sub-grid, over all dilation^2 sub-grids.</summary>
    private static int WinogradTiles(OpContext ctx, Window win)
    {
        int d = win.Dilations[0];
        long subH = (win.Output[0] + d - 1) / d, subW = (win.Output[1] + d - 1) / d;
        return (int)Math.Min(int.MaxValue, (long)d * d * ((subH + 3) / 4) * ((subW + 3) / 4));
    }

    /// <summary>G g G^T of [m, c, 3, 3] weights in double, as 36 row-major [m, c] matrices (Conv.WinogradWeights).</summary>
    private static Tensor WinogradWeights(Tensor weight, int m, int c)
    {
        double[,] g = { { 0.25, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6 }, { 1.0 / 24, 1.0 / 12, 1.0 / 6 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6 }, { 0, 0, 1 } };
        var k = weight.ToFloats();
        var u = new float[checked(WinogradPositions * m * c)];
        var left = new double[6, 3];
        for (int oc = 0; oc < m; oc++)
            for (int ic = 0; ic < c; ic++)
            {
                int at = (oc * c + ic) * 9;
                for (int i = 0; i < 6; i++)
                    for (int b = 0; b < 3; b++)
                        left[i, b] = g[i, 0] * k[at + b] + g[i, 1] * k[at + 3 + b] + g[i, 2] * k[at + 6 + b];
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++)
                        u[((i * 6 + j) * m + oc) * c + ic] = (float)(left[i, 0] * g[j, 0] + left[i, 1] * g[j, 1] + left[i, 2] * g[j, 2]);
            }
        return Tensor.FromFloats(new[] { u.Length }, u);
    }

    // Below this many MACs a Conv runs on the calling thread alone: waking a worker costs more than it saves.
    private const long ParallelMinMacs = 2_000_000;

    // A Conv that carries a residual Add stays on the calling thread below this: ResidualAddFusion gives the Add (and
    // its activation) to 1x1 Convs under it, and Conv.Pointwise has no threaded path. BlazeFace's 2-3M MAC blocks ran
    // slower split (Conv, then Add and Relu passes, then the next node reading the other core's half) than fused.
    internal const long ParallelMinMacsWithResidual = 8_000_000;

    /// <summary>Threads this Conv shares (Threads option): its im2col/GEMM or depthwise kernel, when it is large enough.</summary>
    private int ThreadsFor(OpContext ctx) => ctx.Graph.Threads > 1 && ctx.Shape(0).Length <= 4
        && Macs(ctx) >= (ctx.Node.HasInput(ResidualInput) ? ParallelMinMacsWithResidual : ParallelMinMacs) ? ctx.Graph.Threads : 1;

    // The im2col block's cap: 1 MB (a core's L2 on the machines we target).
    private const long MaxScratchFloats = 262144;

    // Floats per 512-bit vector: the runtime sizes the padded depthwise row for the widest vectors.
    private const int DepthwiseVector = 16;

    public override void Emit(EmitContext ctx)
    {
        var x = InputShape(ctx);
        var w = ctx.Shape(1);
        var y = ctx.Output(0).RequireShape;
        var win = Window.Resolve(ctx, x.Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? w.Skip(2).ToArray());
        if (x.Length > 4)
        {
            ctx.W.Line($"global::EfficientAI.Runtime.Conv.ConvND({ctx.In(0)}, {ctx.In(1)}, {(ctx.Has(2) ? ctx.In(2) : "default")}, {ctx.Out(0)}, {x[0]}, {x[1]}, {w[0]}, " +
                $"{ctx.IntTable(x.Skip(2).ToArray())}, {ctx.IntTable(win.Output)}, {ctx.IntTable(win.Kernel)}, {ctx.IntTable(win.Strides)}, {ctx.IntTable(win.PadBegin)}, " +
                $"{ctx.IntTable(win.Dilations)}, {ctx.Int("group", 1)});");
            ctx.EmitActivation(ctx.Out(0));
            return;
        }
        bool is1D = x.Length == 3;
        int h = is1D ? 1 : x[2], wi = x[x.Length - 1];
        int kH = is1D ? 1 : win.Kernel[0], kW = win.Kernel[win.Kernel.Length - 1];
        int oH = is1D ? 1 : y[2], oW = y[y.Length - 1];
        int last = win.Kernel.Length - 1;
        string bias = ctx.Has(2) ? ctx.In(2) : "default";
        string I(long v) => EmitContext.I(v);
        if (UsesStreamed(ctx))
        {
            // The weights in the order the streamed kernel reads them, laid out here at compile time; a residual
            // (ResidualAddFusion) joins the epilogue.
            var streamed = PackedWeights.PackStreamed(ctx.Const(1)!, w[0], (int)Shape.Elements(w.Skip(1).ToArray()));
            ctx.W.Line($"global::EfficientAI.Runtime.Conv.Conv2DFewPixelsStreamed({ctx.In(0)}, {ctx.ConstantTable(streamed, ctx.Node.Inputs[1] + "_streamed")}, {bias}, {(ctx.Node.HasInput(ResidualInput) ? ctx.In(ResidualInput) : "default")}, {ctx.Out(0)}, " +
                $"{I(x[0])}, {I(x[1])}, {I(h)}, {I(wi)}, {I(w[0])}, {I(kH)}, {I(kW)}, {I(oH)}, {I(oW)}, " +
                $"{I(is1D ? 1 : win.Strides[0])}, {I(win.Strides[last])}, {I(is1D ? 0 : win.PadBegin[0])}, {I(win.PadBegin[last])}, " +
                $"{I(is1D ? 1 : win.Dilations[0])}, {I(win.Dilations[last])}, {ctx.Scratch}, {ctx.ActivationArgument}{(ThreadsFor(ctx) > 1 ? $", threads: {ThreadsFor(ctx)}" : "")});");
            return;
        }
        string residual = ctx.Node.HasInput(ResidualInput) ? $", residual: {ctx.In(ResidualInput)}" : "";
        if (ctx.Node.HasInput(ResidualInput) && !TakesResidual(ctx))
        {
            // ResidualAddFusion: a 1x1 Conv adding input 3 (and activating) in its epilogue.
            ctx.W.Line($"global::EfficientAI.Runtime.Conv.Pointwise({ctx.In(0)}, {ctx.In(1)}, {bias}, {ctx.In(ResidualInput)}, {ctx.Out(0)}, " +
                $"{I(x[0])}, {I(x[1])}, {I(w[0])}, {I(Shape.Elements(y.Skip(2).ToArray()))}, {ctx.ActivationArgument});");
            return;
        }
        if (ctx.Int("group", 1) == 1 && !ctx.Node.ChannelsLastInput && ScratchFloats(ctx) > 0 && ctx.Const(1) is { Type: DataType.Float } weight && SparseWeights.Sparsity(weight) >= SparseWeights.ConvMinSparsity)
        {
            // Pruned weights (Prune) mostly zero: the same im2col columns, multiplied by each filter's nonzeros only.
            var (start, rows, values, nonzeros) = SparseWeights.Tables(ctx, weight, weight.Length / w[0], w[0], transB: true, alpha: 1f);
            ctx.W.Line($"// sparse weights: {nonzeros} of {weight.Length} nonzero, CSR by filter");
            ctx.W.Line($"global::EfficientAI.Runtime.Conv.Conv2DSparse({ctx.In(0)}, {start}, {rows}, {values}, {bias}, {ctx.Out(0)}, " +
                $"{I(x[0])}, {I(x[1])}, {I(h)}, {I(wi)}, {I(w[0])}, {I(kH)}, {I(kW)}, {I(oH)}, {I(oW)}, " +
                $"{I(is1D ? 1 : win.Strides[0])}, {I(win.Strides[last])}, {I(is1D ? 0 : win.PadBegin[0])}, {I(win.PadBegin[last])}, " +
                $"{I(is1D ? 1 : win.Dilations[0])}, {I(win.Dilations[last])}, {ctx.Scratch}, {ctx.ActivationArgument});");
            return;
        }
        if (WinogradDilation(ctx) is int dilation and > 0)
        {
            // Winograd F(4x4, 3x3): the weights' 36 transformed [m, c] matrices were computed here, at compile time.
            string transformed = ctx.ConstantTable(WinogradWeights(ctx.Const(1)!, w[0], x[1]), ctx.Node.Inputs[1] + "_winograd");
            ctx.W.Line($"global::EfficientAI.Runtime.Conv.Conv2DWinograd({ctx.In(0)}, {transformed}, {bias}, {ctx.Out(0)}, " +
                $"{I(x[0])}, {I(x[1])}, {I(h)}, {I(wi)}, {I(w[0])}, {I(oH)}, {I(oW)}, {I(win.PadBegin[0])}, {I(win.PadBegin[1])}, {I(dilation)}, " +
                $"{ctx.Scratch}, {ctx.ActivationArgument}{(ThreadsFor(ctx) > 1 ? $", threads: {ThreadsFor(ctx)}" : "")}{residual});");
            return;
        }
        if (UsesDirect(ctx))
        {
            ctx.W.Line($"global::EfficientAI.Runtime.Conv.Conv2DDirect({ctx.In(0)}, {ctx.In(1)}, {bias}, {ctx.Out(0)}, " +
                $"{I(x[0])}, {I(x[1])}, {I(h)}, {I(wi)}, {I(w[0])}, {I(kH)}, {I(kW)}, {I(oH)}, {I(oW)}, {I(win.Strides[0])}, {I(win.Strides[1])}, " +
                $"{I(win.PadBegin[0])}, {I(win.PadBegin[1])}, {I(win.Dilations[0])}, {I(win.Dilations[1])}, {ctx.Scratch}, {ctx.ActivationArgument}" +
                $"{(ctx.Node.ChannelsLastInput ? ", channelsLast: true" : "")}{(ThreadsFor(ctx) > 1 ? $", threads: {ThreadsFor(ctx)}" : "")});");
            return;
        }
        if (w[0] == x[1] && w[1] == 1 && ctx.Int("group", 1) == x[1] && !is1D && !ctx.Node.ChannelsLastInput && ScratchFloats(ctx) > 0)
        {
            // Depthwise: 16 channels to a vector where the runtime can (AVX-512), otherwise rows of one plane.
            ctx.W.Line($"global::EfficientAI.Runtime.Conv.DepthwiseBlocked({ctx.In(0)}, {ctx.In(1)}, {bias}, {ctx.Out(0)}, " +
                $"{I(x[0])}, {I(x[1])}, {I(h)}, {I(wi)}, {I(kH)}, {I(kW)}, {I(oH)}, {I(oW)}, {I(win.Strides[0])}, {I(win.Strides[1])}, " +
                $"{I(win.PadBegin[0])}, {I(win.PadBegin[1])}, {I(win.Dilations[0])}, {I(win.Dilations[1])}, {ctx.Scratch}, {ctx.ActivationArgument}" +
                $"{(ThreadsFor(ctx) > 1 ? $", threads: {ThreadsFor(ctx)}" : "")});");
            return;
        }
        if (UsesFewPixels(ctx))
        {
            // The weights as a Gemm's packed right operand [c kH kW, m], packed here at compile time.
            var packed = PackedWeights.Pack(ctx.Const(1)!, (int)Shape.Elements(w.Skip(1).ToArray()), w[0], transB: true, alpha: 1f);
            ctx.W.Line($"global::EfficientAI.Runtime.Conv.Conv2DFewPixels({ctx.In(0)}, {ctx.ConstantTable(packed, ctx.Node.Inputs[1] + "_packed")}, {bias}, {ctx.Out(0)}, " +
                $"{I(x[0])}, {I(x[1])}, {I(h)}, {I(wi)}, {I(w[0])}, {I(kH)}, {I(kW)}, {I(oH)}, {I(oW)}, " +
                $"{I(is1D ? 1 : win.Strides[0])}, {I(win.Strides[last])}, {I(is1D ? 0 : win.PadBegin[0])}, {I(win.PadBegin[last])}, " +
                $"{I(is1D ? 1 : win.Dilations[0])}, {I(win.Dilations[last])}, {ctx.Scratch}, {ctx.ActivationArgument});");
            return;
        }
        ctx.W.Line($"global::EfficientAI.Runtime.Conv.Conv2D({ctx.In(0)}, {ctx.In(1)}, {bias}, {ctx.Out(0)}, " +
            $"{I(x[0])}, {I(x[1])}, {I(h)}, {I(wi)}, {I(w[0])}, {I(kH)}, {I(kW)}, {I(oH)}, {I(oW)}, " +
            $"{I(is1D ? 1 : win.Strides[0])}, {I(win.Strides[last])}, {I(is1D ? 0 : win.PadBegin[0])}, {I(win.PadBegin[last])}, " +
            $"{I(is1D ? 1 : win.Dilations[0])}, {I(win.Dilations[last])}, {I(ctx.Int("group", 1))}" +
            (ScratchFloats(ctx) > 0 ? $", {ctx.Scratch}, {ctx.ActivationArgument}{(ctx.Node.ChannelsLastInput ? ", channelsLast: true" : "")}{(ThreadsFor(ctx) > 1 ? $", threads: {ThreadsFor(ctx)}" : "")}{residual});" : ");"));
        if (ScratchFloats(ctx) == 0) ctx.EmitActivation(ctx.Out(0));
    }
}
