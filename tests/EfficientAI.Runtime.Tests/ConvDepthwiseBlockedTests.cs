using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>Conv.DepthwiseBlocked (channels in vector lanes, and the row kernel it falls back to) against a double-precision direct convolution.</summary>
public class ConvDepthwiseBlockedTests
{
    [Theory]
    [InlineData(1, 24, 64, 64, 5, 5, 1, 1, 2, 2, 2, 2, 1, true)] // BlazeFace's 5x5 on 64x64, 24 channels: a block and 8 channels on the row kernel
    [InlineData(2, 20, 10, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, true)] // two images, rows of 40: a block and 4 channels on the row kernel each
    [InlineData(1, 28, 64, 64, 5, 5, 2, 2, 1, 1, 2, 2, 1, true)] // its stride-2 5x5 (pads 1 before, 2 after)
    [InlineData(1, 96, 8, 8, 5, 5, 1, 1, 2, 2, 2, 2, 1, false)] // 8x8 planes: half-width tiles across rows
    [InlineData(2, 17, 13, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, true)] // odd sizes, two images, a one-channel last block
    [InlineData(1, 33, 19, 21, 3, 3, 2, 2, 1, 1, 1, 1, 1, true)] // odd stride-2 plane, partial tiles
    [InlineData(1, 5, 9, 37, 5, 3, 2, 1, 2, 1, 2, 1, 1, false)] // stride along h only, rows of 37 (two full tiles and 5)
    [InlineData(1, 16, 12, 20, 3, 3, 1, 1, 2, 2, 2, 2, 2, true)] // dilation 2
    [InlineData(1, 20, 10, 10, 3, 3, 1, 1, 0, 0, 0, 0, 1, true)] // no padding
    [InlineData(1, 18, 7, 9, 4, 2, 1, 2, 3, 0, 1, 1, 1, true)] // asymmetric kernel and pads
    [InlineData(1, 6, 11, 12, 3, 3, 3, 3, 1, 1, 1, 1, 1, true)] // stride 3: the row kernel
    [InlineData(1, 20, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, true)] // rows of 5, two per tile, an odd last row
    [InlineData(2, 16, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1, false)] // stride 2 to 5x5, two per tile
    [InlineData(1, 40, 16, 16, 5, 5, 2, 2, 1, 1, 2, 2, 1, true)] // BlazeFace's 16x16 -> 8x8 stride 2
    [InlineData(1, 17, 162, 162, 3, 3, 2, 2, 0, 0, 1, 1, 1, true)] // M-LSD's stride-2 160x160 kind: a block plane past 1 MB, the row kernel's scratch only
    public void MatchesDirectConvolution(int n, int c, int h, int w, int kH, int kW, int strideH, int strideW,
        int padTop, int padLeft, int padBottom, int padRight, int dilation, bool withBias)
    {
        var rng = new Random(c * 13 + h * 7 + w);
        int oH = (h + padTop + padBottom - dilation * (kH - 1) - 1) / strideH + 1, oW = (w + padLeft + padRight - dilation * (kW - 1) - 1) / strideW + 1;
        int taps = kH * kW;
        float[] x = TestUtil.RandomArray(rng, n * c * h * w);
        float[] wt = TestUtil.RandomArray(rng, c * taps);
        float[] bias = withBias ? TestUtil.RandomArray(rng, c) : Array.Empty<float>();
        var expected = new double[n * c * oH * oW];
        var scale = new double[expected.Length];
        for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
        for (int oh = 0; oh < oH; oh++)
        for (int ow = 0; ow < oW; ow++)
        {
            double sum = withBias ? bias[ch] : 0, abs = Math.Abs(sum);
            for (int kh = 0; kh < kH; kh++)
            for (int kw = 0; kw < kW; kw++)
            {
                int ih = oh * strideH - padTop + kh * dilation, iw = ow * strideW - padLeft + kw * dilation;
                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                double term = (double)x[((b * c + ch) * h + ih) * w + iw] * wt[ch * taps + kh * kW + kw];
                sum += term;
                abs += Math.Abs(term);
            }
            int at = ((b * c + ch) * oH + oh) * oW + ow;
            expected[at] = sum;
            scale[at] = abs;
        }
        long perThread = Conv.DepthwiseBlockedScratchFloats(kH, kW, oH, oW, strideH, strideW, dilation, dilation);
        foreach (bool blocked in new[] { true, false })
        foreach (int threads in new[] { 1, 2 })
        foreach (var act in new[] { Activation.None, Activation.Relu, new Activation(ActivationKind.Clip, -0.5f, 0.75f), new Activation(ActivationKind.Sigmoid) })
        {
            var scratch = new float[perThread * threads];
            Array.Fill(scratch, float.NaN); // whatever the scratch holds must not leak into y
            var y = new float[expected.Length + 3];
            Array.Fill(y, float.NaN);
            Conv.DepthwiseBlockedOrRows(x, wt, bias, y, n, c, h, w, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilation, dilation,
                scratch, act, threads, blocked);
            var activated = Array.ConvertAll(expected, v => act.Kind switch
            {
                ActivationKind.Relu => Math.Max(v, 0),
                ActivationKind.Clip => Math.Min(Math.Max(v, -0.5), 0.75),
                ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-v)),
                _ => v,
            });
            TestUtil.AssertClose(activated, y, 1e-5, 1e-6, $"blocked {blocked}, {threads} threads, {act.Kind}", scale);
            for (int i = expected.Length; i < y.Length; i++) Assert.True(float.IsNaN(y[i]), "wrote past the output");
        }
    }

    [Fact]
    public void ChoosesTheBlockedKernelWhereItRuns()
    {
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, Conv.DepthwiseBlockedSupported(2, 1, 1));
        Assert.False(Conv.DepthwiseBlockedSupported(3, 1, 1));
        Assert.False(Conv.DepthwiseBlockedSupported(1, -1, 0));
    }

    [Fact]
    public void TooLittleScratchThrows()
    {
        var x = new float[4 * 8 * 8];
        var y = new float[x.Length];
        var w = new float[4 * 9];
        long need = Conv.DepthwiseBlockedScratchFloats(3, 3, 8, 8, 1, 1, 1, 1);
        Assert.Throws<ArgumentException>(() => Conv.DepthwiseBlocked(x, w, default, y, 1, 4, 8, 8, 3, 3, 8, 8, 1, 1, 1, 1, 1, 1,
            new float[need - 1], Activation.None));
    }

    [Fact]
    public void AllocatesNothing()
    {
        var rng = new Random(3);
        const int c = 24, h = 16, w = 16;
        var x = TestUtil.RandomArray(rng, c * h * w);
        var wt = TestUtil.RandomArray(rng, c * 25);
        var y = new float[c * h * w];
        var scratch = new float[Conv.DepthwiseBlockedScratchFloats(5, 5, h, w, 1, 1, 1, 1) * 2];
        void Run()
        {
            Conv.DepthwiseBlocked(x, wt, default, y, 1, c, h, w, 5, 5, h, w, 1, 1, 2, 2, 1, 1, scratch, Activation.Relu);
            Conv.DepthwiseBlocked(x, wt, default, y, 1, c, h, w, 5, 5, h, w, 1, 1, 2, 2, 1, 1, scratch, Activation.Relu, threads: 2);
        }
        for (int i = 0; i < 20; i++) Run(); // the pool's threads start on first use
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
