using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>Conv.Conv2DFewPixels (pixels' im2col rows x weights packed as a Gemm's right operand) against a double-precision direct convolution.</summary>
public class ConvFewPixelsTests
{
    [Theory]
    [InlineData(1, 128, 1, 7, 64, 1, 3, 1, 2, 0, 1, true)] // Silero's 128->64 on 7 samples, stride 2: 4 frames
    [InlineData(2, 65, 1, 7, 130, 1, 3, 1, 1, 0, 1, false)] // 130 outputs: the last panel part-filled
    [InlineData(1, 5, 3, 4, 20, 3, 3, 2, 2, 1, 1, true)] // 2-D, padded: 2x2 outputs
    [InlineData(1, 3, 6, 6, 16, 3, 3, 3, 3, 2, 2, true)] // dilated, strided
    [InlineData(1, 9, 7, 7, 20, 3, 3, 1, 1, 1, 1, true)] // ResNet-18's 7x7 stage: border pixels padded, interior ones not
    [InlineData(2, 6, 9, 9, 17, 3, 3, 2, 2, 1, 1, false)] // stride 2 to 5x5, two images
    [InlineData(1, 2, 1, 1032, 5, 1, 1030, 1, 1, 0, 1, true)] // more taps than the offsets kept on the stack
    public void MatchesDirectConvolution(int n, int c, int h, int w, int m, int kH, int kW, int strideH, int strideW, int pad, int dilation, bool withBias)
    {
        var rng = new Random(c * 7 + m);
        int padTop = kH == 1 ? 0 : pad; // kH = 1: a 1-D Conv, padded along w only
        int oH = (h + 2 * padTop - dilation * (kH - 1) - 1) / strideH + 1, oW = (w + 2 * pad - dilation * (kW - 1) - 1) / strideW + 1;
        float[] x = TestUtil.RandomArray(rng, n * c * h * w);
        float[] wt = TestUtil.RandomArray(rng, m * c * kH * kW);
        float[] bias = withBias ? TestUtil.RandomArray(rng, m) : Array.Empty<float>();
        int depth = c * kH * kW, pixels = oH * oW;
        var expected = new double[n * m * pixels];
        var scale = new double[expected.Length];
        for (int b = 0; b < n; b++)
        for (int oc = 0; oc < m; oc++)
        for (int p = 0; p < pixels; p++)
        {
            int oh = p / oW, ow = p % oW;
            double sum = withBias ? bias[oc] : 0, abs = Math.Abs(sum);
            for (int ic = 0; ic < c; ic++)
            for (int kh = 0; kh < kH; kh++)
            for (int kw = 0; kw < kW; kw++)
            {
                int ih = oh * strideH - padTop + kh * dilation, iw = ow * strideW - pad + kw * dilation;
                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                double term = (double)x[((b * c + ic) * h + ih) * w + iw] * wt[((oc * c + ic) * kH + kh) * kW + kw];
                sum += term;
                abs += Math.Abs(term);
            }
            expected[(b * m + oc) * pixels + p] = sum;
            scale[(b * m + oc) * pixels + p] = abs;
        }
        var packed = new float[Gemm.PackedLength(depth, m)];
        Gemm.PackB(wt, packed, depth, m, transB: true);
        foreach (var act in new[] { Activation.None, Activation.Relu, new Activation(ActivationKind.Sigmoid) })
        {
            var scratch = new float[Conv.FewPixelsScratchFloats(c, m, kH, kW, pixels)];
            Array.Fill(scratch, float.NaN);
            var y = new float[expected.Length];
            Array.Fill(y, float.NaN);
            Conv.Conv2DFewPixels(x, packed, bias, y, n, c, h, w, m, kH, kW, oH, oW, strideH, strideW, padTop, pad, dilation, dilation, scratch, act);
            var activated = Array.ConvertAll(expected, v => act.Kind switch
            {
                ActivationKind.Relu => Math.Max(v, 0),
                ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-v)),
                _ => v,
            });
            TestUtil.AssertClose(activated, y, 1e-5, 1e-6, $"{act.Kind}", scale);
        }
    }

    /// <summary>
    /// Conv.Conv2DFewPixelsStreamed (weights laid out as one stream by Conv.PackStreamedWeights) on every vector width
    /// (16 = AVX-512 R x 3 tiles, 8 and 4 = one vector at a time, 0 = scalar), pixel tiles of 1-8 rows with padding
    /// pixels, channel groups of 48, 32 and 16 (m = 20, 50, 67: zero-padded lanes), depth blocks with a tail.
    /// </summary>
    [Theory]
    [InlineData(1, 37, 7, 7, 67, 3, 3, 1, 1, 1, 1, 64, true)] // ResNet's 7x7 stage: 7-pixel tiles; 333 deep in blocks of 64 + a 13-row tail; groups 48 + 32
    [InlineData(2, 13, 14, 14, 50, 3, 3, 2, 2, 1, 1, 256, false)] // stride 2 to 7x7, two images; groups 48 + 16 (2 real channels)
    [InlineData(1, 9, 8, 8, 20, 3, 3, 1, 1, 1, 1, 32, true)] // 64 pixels: 8-pixel tiles; one group of 32
    [InlineData(1, 11, 6, 6, 48, 3, 3, 1, 1, 1, 1, 40, true)] // 36 pixels: 6-pixel tiles; one whole group
    [InlineData(1, 7, 9, 10, 33, 3, 3, 1, 1, 0, 1, 256, true)] // 7x8 = 56 pixels: 8-pixel tiles; one group of 48 (33 real channels)
    [InlineData(1, 5, 5, 5, 17, 3, 3, 1, 1, 0, 1, 16, false)] // 3x3 = 9 pixels: two 6-pixel tiles, 3 padding pixels
    [InlineData(1, 6, 3, 4, 19, 3, 3, 2, 2, 1, 1, 256, true)] // 2x2 pixels: one 4-pixel tile
    [InlineData(1, 4, 1, 9, 30, 1, 3, 1, 3, 0, 1, 8, true)] // 1-D, 3 frames: one 3-pixel tile
    [InlineData(1, 3, 6, 6, 16, 3, 3, 3, 3, 2, 2, 256, true)] // dilated, strided: 2x2
    [InlineData(1, 8, 1, 5, 24, 1, 5, 1, 1, 0, 1, 256, true)] // one pixel
    public void StreamedMatchesDirectConvolution(int n, int c, int h, int w, int m, int kH, int kW, int strideH, int strideW, int pad, int dilation, int depthBlock, bool withBias)
    {
        var rng = new Random(c * 11 + m);
        int padTop = kH == 1 ? 0 : pad;
        int oH = (h + 2 * padTop - dilation * (kH - 1) - 1) / strideH + 1, oW = (w + 2 * pad - dilation * (kW - 1) - 1) / strideW + 1;
        float[] x = TestUtil.RandomArray(rng, n * c * h * w);
        float[] wt = TestUtil.RandomArray(rng, m * c * kH * kW);
        float[] bias = withBias ? TestUtil.RandomArray(rng, m) : Array.Empty<float>();
        var (expected, scale) = Reference(x, wt, bias, n, c, h, w, m, kH, kW, oH, oW, strideH, strideW, padTop, pad, dilation);
        int depth = c * kH * kW, pixels = oH * oW;
        var packed = new float[Conv.StreamedPackedLength(depth, m)];
        Conv.PackStreamedWeights(wt, packed, m, depth, depthBlock);
        foreach (int width in new[] { 16, 8, 4, 0 })
            foreach (var act in new[] { Activation.None, Activation.Relu, new Activation(ActivationKind.Clip, -0.5f, 0.5f), new Activation(ActivationKind.Sigmoid) })
            {
                var scratch = new float[Conv.StreamedScratchFloats(c, m, kH, kW, pixels)];
                Array.Fill(scratch, float.NaN);
                var y = new float[expected.Length + 1];
                Array.Fill(y, float.NaN);
                Conv.Conv2DFewPixelsStreamed(x, packed, bias, default, y, n, c, h, w, m, kH, kW, oH, oW, strideH, strideW, padTop, pad, dilation, dilation, scratch, act, width, depthBlock);
                var activated = Array.ConvertAll(expected, v => act.Kind switch
                {
                    ActivationKind.Relu => Math.Max(v, 0),
                    ActivationKind.Clip => Math.Min(Math.Max(v, -0.5), 0.5),
                    ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-v)),
                    _ => v,
                });
                TestUtil.AssertClose(activated, y.AsSpan(0, expected.Length), 1e-5, 1e-6, $"width {width} {act.Kind}", scale);
                Assert.True(float.IsNaN(y[expected.Length]), "wrote past y");
                // Shared among two threads by channel group: the same sums in the same order, so the same bits.
                var shared = new float[y.Length];
                Array.Fill(shared, float.NaN);
                Conv.Conv2DFewPixelsStreamed(x, packed, bias, default, shared, n, c, h, w, m, kH, kW, oH, oW, strideH, strideW, padTop, pad, dilation, dilation, scratch, act, width, depthBlock, threads: 2);
                Assert.Equal(y, shared);
            }
    }

    /// <summary>The public entry lays out and reads the same blocks as the generator (Conv.StreamedDepthBlock), on the widest vectors.</summary>
    [Fact]
    public void StreamedPublicEntryMatchesDirectConvolution()
    {
        var rng = new Random(5);
        int c = 40, h = 7, w = 7, m = 70, oH = 7, oW = 7;
        float[] x = TestUtil.RandomArray(rng, c * h * w);
        float[] wt = TestUtil.RandomArray(rng, m * c * 9);
        float[] bias = TestUtil.RandomArray(rng, m);
        var (expected, scale) = Reference(x, wt, bias, 1, c, h, w, m, 3, 3, oH, oW, 1, 1, 1, 1, 1);
        var packed = new float[Conv.StreamedPackedLength(c * 9, m)];
        Conv.PackStreamedWeights(wt, packed, m, c * 9);
        var y = new float[expected.Length];
        Conv.Conv2DFewPixelsStreamed(x, packed, bias, y, 1, c, h, w, m, 3, 3, oH, oW, 1, 1, 1, 1, 1, 1, new float[Conv.StreamedScratchFloats(c, m, 3, 3, 49)], Activation.None);
        TestUtil.AssertClose(expected, y, 1e-5, 1e-6, "public", scale);
    }

    /// <summary>The residual epilogue: y = act(conv + residual), also in place over the residual, on every vector width.</summary>
    [Theory]
    [InlineData(16)]
    [InlineData(8)]
    [InlineData(0)]
    public void StreamedResidualMatchesDirectConvolution(int width)
    {
        var rng = new Random(9);
        int n = 2, c = 21, h = 7, w = 7, m = 35, oH = 7, oW = 7, depth = c * 9, pixels = 49;
        float[] x = TestUtil.RandomArray(rng, n * c * h * w);
        float[] wt = TestUtil.RandomArray(rng, m * depth);
        float[] bias = TestUtil.RandomArray(rng, m);
        float[] residual = TestUtil.RandomArray(rng, n * m * pixels);
        var (expected, scale) = Reference(x, wt, bias, n, c, h, w, m, 3, 3, oH, oW, 1, 1, 1, 1, 1);
        var packed = new float[Conv.StreamedPackedLength(depth, m)];
        Conv.PackStreamedWeights(wt, packed, m, depth, 64);
        foreach (var act in new[] { Activation.Relu, new Activation(ActivationKind.Sigmoid) })
            foreach (bool inPlace in new[] { false, true })
            {
                var scratch = new float[Conv.StreamedScratchFloats(c, m, 3, 3, pixels)];
                Array.Fill(scratch, float.NaN);
                var y = inPlace ? (float[])residual.Clone() : new float[expected.Length];
                if (!inPlace) Array.Fill(y, float.NaN);
                Conv.Conv2DFewPixelsStreamed(x, packed, bias, inPlace ? y : residual, y, n, c, h, w, m, 3, 3, oH, oW, 1, 1, 1, 1, 1, 1, scratch, act, width, 64);
                var activated = new double[expected.Length];
                for (int i = 0; i < expected.Length; i++)
                {
                    double v = expected[i] + residual[i];
                    activated[i] = act.Kind == ActivationKind.Relu ? Math.Max(v, 0) : 1 / (1 + Math.Exp(-v));
                }
                TestUtil.AssertClose(activated, y, 1e-5, 1e-6, $"width {width} {act.Kind} in place {inPlace}", scale);
            }
    }

    private static (double[] Expected, double[] Scale) Reference(float[] x, float[] wt, float[] bias, int n, int c, int h, int w, int m, int kH, int kW,
        int oH, int oW, int strideH, int strideW, int padTop, int pad, int dilation)
    {
        int pixels = oH * oW;
        var expected = new double[n * m * pixels];
        var scale = new double[expected.Length];
        for (int b = 0; b < n; b++)
        for (int oc = 0; oc < m; oc++)
        for (int p = 0; p < pixels; p++)
        {
            int oh = p / oW, ow = p % oW;
            double sum = bias.Length > 0 ? bias[oc] : 0, abs = Math.Abs(sum);
            for (int ic = 0; ic < c; ic++)
            for (int kh = 0; kh < kH; kh++)
            for (int kw = 0; kw < kW; kw++)
            {
                int ih = oh * strideH - padTop + kh * dilation, iw = ow * strideW - pad + kw * dilation;
                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                double term = (double)x[((b * c + ic) * h + ih) * w + iw] * wt[((oc * c + ic) * kH + kh) * kW + kw];
                sum += term;
                abs += Math.Abs(term);
            }
            expected[(b * m + oc) * pixels + p] = sum;
            scale[(b * m + oc) * pixels + p] = abs;
        }
        return (expected, scale);
    }
}
