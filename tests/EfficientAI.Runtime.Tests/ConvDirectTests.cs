using System;
using System.Collections.Generic;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>Conv.Conv2DDirect (phase planes + implicit GEMM, for few input channels) against a double-precision direct convolution.</summary>
public class ConvDirectTests
{
    public record Case(string Name, int N, int C, int H, int W, int M, int KH, int KW, int Stride, int PadTop, int PadLeft, int PadBottom, int PadRight, int Dilation, bool Bias)
    {
        public int OH => (H + PadTop + PadBottom - Dilation * (KH - 1) - 1) / Stride + 1;
        public int OW => (W + PadLeft + PadRight - Dilation * (KW - 1) - 1) / Stride + 1;
        public override string ToString() => Name;
    }

    public static IEnumerable<object[]> Cases()
    {
        Case[] cases =
        {
            new("blazeface-5x5-s2", 1, 3, 32, 36, 24, 5, 5, 2, 1, 1, 2, 2, 1, true), // 24 channels: 6-row tiles
            new("mlsd-3x3-s2", 1, 4, 40, 42, 32, 3, 3, 2, 0, 0, 1, 1, 1, true), // 32 channels: four 6-row tiles and two 4-row ones
            new("resnet-7x7-s2-64", 1, 3, 38, 40, 64, 7, 7, 2, 3, 3, 3, 3, 1, true), // 64 channels: ten 6-row tiles and a 4-row one
            new("17-channels", 1, 3, 13, 35, 17, 3, 3, 1, 1, 1, 1, 1, 1, false), // 6 + 6 + 4 + 1 rows
            new("3x3-s1-odd-channels", 2, 3, 11, 70, 7, 3, 3, 1, 1, 1, 1, 1, 1, false), // 6-row tile plus a 1-row one; 70 columns: a tail block
            new("7x7-s3-dilated", 1, 2, 30, 29, 5, 3, 3, 3, 2, 3, 1, 0, 2, true),
            new("1-channel-no-pad", 1, 1, 9, 12, 6, 3, 5, 1, 0, 0, 0, 0, 1, true),
            new("pad-beyond-kernel", 1, 2, 5, 6, 4, 3, 3, 2, 3, 4, 3, 4, 1, true), // rows and columns wholly in the padding
        };
        foreach (var c in cases) yield return new object[] { c };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesDirectConvolution(Case t)
    {
        var rng = new Random(t.Name.Length * 13 + t.M);
        int oH = t.OH, oW = t.OW, d = t.Dilation;
        float[] x = TestUtil.RandomArray(rng, t.N * t.C * t.H * t.W);
        float[] w = TestUtil.RandomArray(rng, t.M * t.C * t.KH * t.KW);
        float[] bias = t.Bias ? TestUtil.RandomArray(rng, t.M) : Array.Empty<float>();
        var expected = new double[t.N * t.M * oH * oW];
        var scale = new double[expected.Length];
        for (int n = 0; n < t.N; n++)
        for (int oc = 0; oc < t.M; oc++)
        for (int oh = 0; oh < oH; oh++)
        for (int ow = 0; ow < oW; ow++)
        {
            double sum = bias.Length > 0 ? bias[oc] : 0, abs = Math.Abs(sum);
            for (int ic = 0; ic < t.C; ic++)
            for (int kh = 0; kh < t.KH; kh++)
            for (int kw = 0; kw < t.KW; kw++)
            {
                int ih = oh * t.Stride - t.PadTop + kh * d, iw = ow * t.Stride - t.PadLeft + kw * d;
                if (ih < 0 || ih >= t.H || iw < 0 || iw >= t.W) continue;
                double term = (double)x[((n * t.C + ic) * t.H + ih) * t.W + iw] * w[((oc * t.C + ic) * t.KH + kh) * t.KW + kw];
                sum += term;
                abs += Math.Abs(term);
            }
            int idx = ((n * t.M + oc) * oH + oh) * oW + ow;
            expected[idx] = sum;
            scale[idx] = abs;
        }
        var nhwc = new float[x.Length];
        for (int n = 0; n < t.N; n++)
            for (int c = 0; c < t.C; c++)
                for (int i = 0; i < t.H * t.W; i++)
                    nhwc[(n * t.H * t.W + i) * t.C + c] = x[(n * t.C + c) * t.H * t.W + i];

        long floats = Conv.DirectScratchFloats(t.C, t.KH, t.KW, oH, oW, t.Stride, t.Stride, d, d);
        var y = new float[expected.Length];
        foreach (bool channelsLast in new[] { false, true })
        foreach (int threads in new[] { 1, 2 })
        foreach (var act in new[] { Activation.None, Activation.Relu, new Activation(ActivationKind.Clip, 0f, 6f), new Activation(ActivationKind.Sigmoid) })
        {
            var scratch = new float[floats];
            Array.Fill(scratch, float.NaN); // whatever the scratch holds must not leak into y
            Array.Fill(y, float.NaN);
            Conv.Conv2DDirect(channelsLast ? nhwc : x, w, bias, y, t.N, t.C, t.H, t.W, t.M, t.KH, t.KW, oH, oW, t.Stride, t.Stride, t.PadTop, t.PadLeft,
                d, d, scratch, act, channelsLast, threads);
            var activated = Array.ConvertAll(expected, v => act.Kind switch
            {
                ActivationKind.Relu => Math.Max(v, 0),
                ActivationKind.Clip => Math.Clamp(v, 0, 6),
                ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-v)),
                _ => v,
            });
            TestUtil.AssertClose(activated, y, 1e-5, 1e-6, $"{t.Name} channelsLast {channelsLast} threads {threads} {act.Kind}", scale);
        }
    }

    [Fact]
    public void RejectsShortScratch()
    {
        var x = new float[3 * 8 * 8];
        var w = new float[4 * 3 * 9];
        var y = new float[4 * 8 * 8];
        var scratch = new float[Conv.DirectScratchFloats(3, 3, 3, 8, 8, 1, 1, 1, 1) - 1];
        Assert.Throws<ArgumentException>(() => Conv.Conv2DDirect(x, w, default, y, 1, 3, 8, 8, 4, 3, 3, 8, 8, 1, 1, 1, 1, 1, 1, scratch, Activation.None));
    }
}
