using System;
using System.Collections.Generic;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>
/// Depthwise Convs with column stride 2 (Conv.DepthwiseStride2 on AVX-512, which computes only the kept columns) against
/// a double-precision direct convolution, and the unit-stride-row kernel it replaces (the path without AVX-512).
/// </summary>
public class ConvDepthwiseStride2Tests
{
    public record Case(string Name, int N, int C, int H, int W, int KH, int KW, int StrideH, int PadTop, int PadLeft, int PadBottom, int PadRight,
        int DilationH, int DilationW, bool Bias)
    {
        public int OH => (H + PadTop + PadBottom - DilationH * (KH - 1) - 1) / StrideH + 1;
        public int OW => (W + PadLeft + PadRight - DilationW * (KW - 1) - 1) / 2 + 1;
        public override string ToString() => Name;
    }

    public static IEnumerable<object[]> Cases()
    {
        Case[] cases =
        {
            new("3x3-tf-same-160", 1, 3, 160, 160, 3, 3, 2, 0, 0, 1, 1, 1, 1, true), // M-LSD: pad bottom/right only, 80 outputs (4 + 1 vectors)
            new("3x3-same-odd", 2, 3, 15, 37, 3, 3, 2, 1, 1, 1, 1, 1, 1, true), // 19 outputs: one vector and a 3-lane tail
            new("3x3-narrow", 1, 2, 9, 9, 3, 3, 2, 1, 1, 1, 1, 1, 1, false), // 5 outputs: a part vector only
            new("3x3-row-stride-1", 1, 2, 7, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, true), // stride 1 down, 2 across
            new("5x5-wide", 1, 3, 20, 203, 5, 5, 2, 2, 2, 2, 2, 1, 1, true), // 102 outputs: a 64 block, two vectors and a tail
            new("3x3-dilated", 1, 2, 17, 50, 3, 3, 2, 2, 2, 2, 2, 2, 2, true),
            new("3x3-cropped", 1, 2, 12, 40, 3, 3, 2, 0, -1, 0, 0, 1, 1, true), // a negative pad (a folded crop)
            new("1x4-valid", 2, 2, 4, 129, 1, 4, 2, 0, 0, 0, 0, 1, 1, false), // 63 outputs
        };
        foreach (var c in cases) yield return new object[] { c };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesDirectConvolution(Case t)
    {
        var rng = new Random(t.Name.Length * 13 + t.W);
        int oH = t.OH, oW = t.OW;
        float[] x = TestUtil.RandomArray(rng, t.N * t.C * t.H * t.W);
        float[] w = TestUtil.RandomArray(rng, t.C * t.KH * t.KW);
        float[] bias = t.Bias ? TestUtil.RandomArray(rng, t.C) : Array.Empty<float>();
        var expected = new double[t.N * t.C * oH * oW];
        var scale = new double[expected.Length];
        for (int n = 0; n < t.N; n++)
        for (int c = 0; c < t.C; c++)
        for (int oh = 0; oh < oH; oh++)
        for (int ow = 0; ow < oW; ow++)
        {
            double sum = bias.Length > 0 ? bias[c] : 0, abs = Math.Abs(sum);
            for (int kh = 0; kh < t.KH; kh++)
            for (int kw = 0; kw < t.KW; kw++)
            {
                int ih = oh * t.StrideH - t.PadTop + kh * t.DilationH, iw = ow * 2 - t.PadLeft + kw * t.DilationW;
                if (ih < 0 || ih >= t.H || iw < 0 || iw >= t.W) continue;
                double term = (double)x[((n * t.C + c) * t.H + ih) * t.W + iw] * w[(c * t.KH + kh) * t.KW + kw];
                sum += term;
                abs += Math.Abs(term);
            }
            int idx = ((n * t.C + c) * oH + oh) * oW + ow;
            expected[idx] = sum;
            scale[idx] = abs;
        }

        long perThread = Conv.DepthwiseScratchFloats(t.KH, t.KW, oH, oW, t.StrideH, 2, t.DilationH, t.DilationW);
        var y = new float[expected.Length];
        foreach (bool stride2Kernel in new[] { true, false })
        {
            foreach (int threads in new[] { 1, 2 })
            {
                var scratch = new float[perThread * threads];
                Array.Fill(scratch, float.NaN); // nothing of the scratch may leak into y
                Array.Fill(y, float.NaN);
                Conv.Depthwise(x, w, bias, y, t.N, t.C, t.H, t.W, t.KH, t.KW, oH, oW, t.StrideH, 2, t.PadTop, t.PadLeft, t.DilationH, t.DilationW,
                    scratch.AsSpan(0, (int)perThread), threads, stride2Kernel); // one participant's slice; the others follow it
                TestUtil.AssertClose(expected, y, 1e-5, 1e-6, $"{t.Name} stride2Kernel {stride2Kernel} threads {threads}", scale);
            }
        }

        // Through the public entry with a fused Relu, as generated code calls it.
        var planned = new float[perThread];
        Array.Fill(y, float.NaN);
        Conv.Conv2D(x, w, bias, y, t.N, t.C, t.H, t.W, t.C, t.KH, t.KW, oH, oW, t.StrideH, 2, t.PadTop, t.PadLeft, t.DilationH, t.DilationW, t.C,
            planned, Activation.Relu);
        TestUtil.AssertClose(Array.ConvertAll(expected, v => Math.Max(v, 0)), y, 1e-5, 1e-6, $"{t.Name} Conv2D Relu", scale);
    }
}
