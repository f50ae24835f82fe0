using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class AllocationTests
{
    [Fact]
    public void KernelsDoNotAllocateAfterWarmUp()
    {
        var rng = new Random(42);
        float[] a = TestUtil.RandomArray(rng, 64 * 64), b = TestUtil.RandomArray(rng, 64 * 64), c = TestUtil.RandomArray(rng, 64);
        var y = new float[64 * 64];
        float[] x = TestUtil.RandomArray(rng, 2 * 8 * 12 * 12), w = TestUtil.RandomArray(rng, 8 * 8 * 3 * 3);
        float[] wDepthwise = TestUtil.RandomArray(rng, 8 * 9), bias = TestUtil.RandomArray(rng, 8);
        var convOut = new float[2 * 8 * 12 * 12];
        int[] shape4 = { 2, 8, 12, 12 }, perm = { 0, 2, 3, 1 }, pads = { 0, 0, 1, 1, 0, 0, 1, 1 };
        int[] channelStrides = { 0, 1, 0, 0 }, fullStrides = { 1152, 144, 12, 1 }, reduceFlags = { 0, 1, 1, 0 };
        int[] starts = { 1, 7, 11, 0 }, steps = { -1, -2, -3, 2 }, sliceOut = { 2, 4, 4, 6 };
        var padded = new float[2 * 8 * 14 * 14];
        var small = new float[2 * 8 * 12 * 12];
        int[] ia = { 1, 2, 3, 4, 5, 6, 7 }, ib = { 3, -2, 5, 7, -1, 2, 9 };
        var iy = new int[7];
        int[] shape1 = { 7 }, unit = { 1 }, aOffsets = { 0, 256 }, bOffsets = { 0, 0 }, spatialFlags = { 0, 0, 1, 1 };
        // Winograd (both transform paths) and the stride-2 depthwise kernel, on their planned scratch.
        float[] xWide = TestUtil.RandomArray(rng, 8 * 12 * 40), wide = new float[8 * 12 * 40], u = new float[Conv.WinogradPositions * 8 * 8];
        Conv.WinogradWeights(w, u, 8, 8);
        var winogradScratch = new float[Conv.WinogradScratchFloats(8, 8, Conv.WinogradBlockTiles)];
        var depthwiseScratch = new float[Conv.DepthwiseScratchFloats(3, 3, 6, 20, 2, 2, 1, 1)];
        // Stride-2 im2col Convs on their stride phases (3x3, and 1x1 read in place), with a residual in the GEMM's epilogue.
        var phasedScratch = new float[Conv.StridePhaseFloats(8, 12, 12, 3, 3, 6, 2, 2, 1, 1, 1, 1) + Conv.ScratchFloats(8, 8, 3, 3, 6, 6, 1)];
        var phased1x1Scratch = new float[Conv.StridePhaseFloats(8, 12, 12, 1, 1, 6, 2, 2, 0, 0, 1, 1) + Conv.ScratchFloats(8, 8, 1, 1, 6, 6, 1)];
        float[] residual = TestUtil.RandomArray(rng, 2 * 8 * 6 * 6);
        // The streamed few-pixel kernel (8 -> 8 3x3 stride 2 to 6x6: 6-pixel tiles) and a non-register activation.
        var streamed = new float[Conv.StreamedPackedLength(72, 8)];
        Conv.PackStreamedWeights(w, streamed, 8, 72);
        var streamedScratch = new float[Conv.StreamedScratchFloats(8, 8, 3, 3, 36)];

        void Run()
        {
            for (int flags = 0; flags < 4; flags++)
                Gemm.Compute(a, b, c, y, 64, 64, 64, (flags & 1) != 0, (flags & 2) != 0, 1f, 1f, 1, 64);
            Gemm.MatMulBatched(a, b, y, 16, 16, 16, aOffsets, bOffsets);
            Conv.Conv2D(x, w, bias, convOut, 2, 8, 12, 12, 8, 3, 3, 12, 12, 1, 1, 1, 1, 1, 1, 1);
            Conv.Conv2D(x, wDepthwise, bias, convOut, 2, 8, 12, 12, 8, 3, 3, 12, 12, 1, 1, 1, 1, 1, 1, 8);
            Conv.Conv2D(x, w, bias, convOut, 2, 8, 12, 12, 8, 3, 3, 6, 6, 2, 2, 1, 1, 1, 1, 1);
            Conv.Conv2D(x, w, default, convOut, 2, 8, 12, 12, 8, 1, 1, 12, 12, 1, 1, 0, 0, 1, 1, 1);
            Conv.Conv2DWinograd(xWide, u, bias, wide, 1, 8, 12, 40, 8, 12, 40, 1, 1, 1, winogradScratch, Activation.Relu, 1, shuffles: true);
            Conv.Conv2DWinograd(xWide, u, bias, wide, 1, 8, 12, 40, 8, 12, 40, 1, 1, 1, winogradScratch, Activation.Relu, 1, shuffles: false);
            Conv.Conv2D(xWide, wDepthwise, bias, small, 1, 8, 12, 40, 8, 3, 3, 6, 20, 2, 2, 1, 1, 1, 1, 8, depthwiseScratch, Activation.Relu);
            Conv.Conv2D(x, w, bias, convOut, 2, 8, 12, 12, 8, 3, 3, 6, 6, 2, 2, 1, 1, 1, 1, 1, phasedScratch, Activation.Relu, residual: residual);
            Conv.Conv2D(x, w, bias, convOut, 2, 8, 12, 12, 8, 1, 1, 6, 6, 2, 2, 0, 0, 1, 1, 1, phased1x1Scratch, Activation.None);
            Conv.Conv2DWinograd(xWide, u, bias, wide, 1, 8, 12, 40, 8, 12, 40, 1, 1, 1, winogradScratch, Activation.Relu, residual: wide);
            Conv.Conv2DFewPixelsStreamed(x, streamed, bias, small, 2, 8, 12, 12, 8, 3, 3, 6, 6, 2, 2, 1, 1, 1, 1, streamedScratch, Activation.Relu);
            Conv.Conv2DFewPixelsStreamed(x, streamed, default, small, 2, 8, 12, 12, 8, 3, 3, 6, 6, 2, 2, 1, 1, 1, 1, streamedScratch, new Activation(ActivationKind.Sigmoid));
            Pool.MaxPool2D(x, small, 16, 12, 12, 3, 3, 12, 12, 1, 1, 1, 1, 1, 1);
            Pool.MaxPool2D(x, small, 16, 12, 12, 3, 3, 6, 6, 2, 2, 1, 1, 1, 1);
            Pool.AveragePool2D(x, small, 16, 12, 12, 3, 3, 12, 12, 1, 1, 1, 1, 1, 1, false);
            Pool.GlobalAveragePool(x, small, 16, 144);
            Elementwise.Binary(BinaryOp.Add, x, bias, convOut, shape4, fullStrides, channelStrides);
            Elementwise.Binary(BinaryOp.Mul, x, x, convOut, shape4, fullStrides, fullStrides);
            Elementwise.Binary(BinaryOp.Mod, ia, ib, iy, shape1, unit, unit);
            Elementwise.Unary(UnaryOp.Gelu, x, convOut, 0, 0);
            Elementwise.Unary(UnaryOp.Swish, x, convOut, 0, 0);
            Elementwise.Unary(UnaryOp.Elu, x, convOut, 1, 0);
            Elementwise.ChannelAffine(x, bias, bias, convOut, 2, 8, 144);
            Normalization.Softmax(x, convOut, 2, 8, 144, false);
            Normalization.Softmax(x, convOut, 16, 144, 1, true);
            Reduce.Compute(ReduceOp.LogSumExp, x, small, shape4, reduceFlags);
            Reduce.Compute(ReduceOp.Mean, x, small, shape4, spatialFlags);
            Layout.Transpose<float>(x, convOut, shape4, perm);
            Layout.Pad<float>(x, padded, shape4, pads, PadMode.Reflect, 0f);
            Layout.Slice<float>(x, small, shape4, starts, steps, sliceOut);
            Layout.Broadcast<float>(bias, convOut, shape4, channelStrides);
        }

        Run(); // warm up: JIT, static initialization
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}
