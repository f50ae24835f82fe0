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
}
