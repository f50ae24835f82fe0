using System;
using System.Collections.Generic;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class ConvTests
{
    public record Case(string Name, int N, int C, int H, int W, int M, int KH, int KW, int StrideH, int StrideW,
        int PadTop, int PadLeft, int PadBottom, int PadRight, int DilationH, int DilationW, int Group, bool Bias)
    {
        public int OH => (H + PadTop + PadBottom - DilationH * (KH - 1) - 1) / StrideH + 1;
        public int OW => (W + PadLeft + PadRight - DilationW * (KW - 1) - 1) / StrideW + 1;
        public override string ToString() => Name;
    }

    public static IEnumerable<object[]> Cases()
    {
        Case[] cases =
        {
            new("pointwise", 2, 5, 7, 9, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true),
            new("pointwise-grouped", 1, 4, 5, 5, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2, false),
            new("pointwise-wide", 1, 17, 9, 13, 33, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true),
            new("3x3-same", 1, 3, 17, 17, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true),
            new("3x3-many-channels", 2, 16, 20, 19, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true),
            new("asymmetric-pad", 1, 3, 8, 11, 4, 3, 3, 1, 1, 1, 0, 2, 1, 1, 1, 1, true),
            new("stride2", 1, 4, 15, 16, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, true),
            new("stride-h-only", 1, 3, 14, 13, 5, 5, 3, 2, 1, 2, 1, 2, 1, 1, 1, 1, false),
            new("dilated", 1, 3, 13, 12, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, true),
            new("dilated-strided", 2, 2, 15, 17, 3, 3, 2, 2, 3, 1, 2, 0, 1, 2, 3, 1, true),
            new("depthwise", 2, 6, 9, 10, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6, true),
            new("depthwise-stride2", 1, 7, 11, 12, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 7, false),
            new("depthwise-5x5-dilated", 1, 3, 12, 33, 3, 5, 5, 1, 1, 4, 4, 4, 4, 2, 2, 3, true),
            new("grouped", 1, 6, 9, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, true),
            new("grouped-multiplier", 1, 4, 7, 8, 8, 3, 3, 2, 1, 0, 1, 0, 1, 1, 1, 4, true),
            new("conv1d", 2, 3, 1, 33, 4, 1, 5, 1, 1, 0, 2, 0, 2, 1, 1, 1, true),
            new("kernel-larger-than-pad", 1, 2, 3, 4, 3, 4, 5, 1, 1, 2, 3, 2, 3, 1, 1, 1, true),
            new("1x1-strided-padded", 1, 5, 7, 7, 4, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, true),
            new("pointwise-whole-panels", 1, 8, 4, 8, 7, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true),
            new("pointwise-deep", 1, 300, 5, 7, 13, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, false),
            new("depthwise-wide-rows", 2, 4, 6, 41, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, true),
            new("depthwise-5x5-stride-h2", 1, 3, 11, 37, 3, 5, 5, 2, 1, 2, 2, 2, 2, 1, 1, 3, true),
            new("pointwise-large-plane", 1, 4, 40, 41, 5, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true), // 1,640 pixels: two chunks read in place when shared
            new("3x3-wide-rows", 1, 4, 6, 45, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true), // rows of 32+ pixels: packed by copies, not gathers
            new("5x5-wide-dilated-pad", 2, 3, 9, 70, 4, 5, 5, 1, 1, 3, 2, 1, 4, 1, 2, 1, false),
            new("depthwise-5x5-wide-stride2", 1, 3, 20, 140, 3, 5, 5, 2, 2, 1, 2, 2, 1, 1, 1, 3, true),
            new("depthwise-64-columns", 2, 2, 9, 64, 2, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 2, false),
            new("depthwise-3-dilated-stride3", 1, 2, 17, 29, 2, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, true),
            // 'Same' unit-stride Convs (output rows as wide as the input's) pack shifted runs of the plane by masked loads;
            // past 256 rows of depth the columns are packed and multiplied a slice of whole channels at a time.
            new("3x3-same-deep-slices", 2, 40, 7, 11, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true),
            new("3x3-same-resnet-7x7", 1, 64, 7, 7, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true),
            new("3x3-same-dilated", 1, 5, 9, 10, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, false),
            new("5x5-same-grouped-deep", 1, 24, 6, 5, 10, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 2, true),
            new("2x2-same-asymmetric", 1, 3, 5, 9, 4, 2, 2, 1, 1, 1, 0, 0, 1, 1, 1, 1, true),
            new("3x3-strided-deep-slices", 1, 33, 9, 9, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, true),
            // Stride 2 packs shifted runs of the input's stride phases (with Conv.StridePhaseFloats more scratch): ResNet's
            // 3x3 pad 1 and 1x1 downsampling (read in place, a one-pixel tail packed), rows split 16 at a time and a
            // scalar tail, 2x2, 7x7 and 5x5 asymmetric windows, and 3x3 unpadded, whose phase rows are wider than the
            // output's (gathers then).
            new("3x3-s2-resnet-like", 2, 40, 14, 14, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, true),
            new("1x1-s2-downsample", 2, 24, 14, 13, 20, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, true),
            new("3x3-s2-wide-rows", 1, 3, 9, 70, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, false),
            new("2x2-s2", 1, 6, 11, 16, 4, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, true),
            new("7x7-s2-p3", 1, 5, 19, 22, 6, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1, true),
            new("5x5-s2-asymmetric", 1, 7, 12, 14, 9, 5, 5, 2, 2, 2, 1, 1, 2, 1, 1, 1, true),
            new("3x3-s2-unpadded", 1, 6, 11, 16, 5, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 1, true),
            new("3x3-s2-grouped", 1, 8, 10, 10, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, true),
        };
        foreach (var c in cases) yield return new object[] { c };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2DMatchesReference(Case t)
    {
        var rng = new Random(t.Name.Length * 31 + t.C);
        int cg = t.C / t.Group, mg = t.M / t.Group, oH = t.OH, oW = t.OW;
        float[] x = TestUtil.RandomArray(rng, t.N * t.C * t.H * t.W);
        float[] w = TestUtil.RandomArray(rng, t.M * cg * t.KH * t.KW);
        float[] bias = t.Bias ? TestUtil.RandomArray(rng, t.M) : Array.Empty<float>();
        var y = new float[t.N * t.M * oH * oW];
        Array.Fill(y, float.NaN);
        Conv.Conv2D(x, w, bias, y, t.N, t.C, t.H, t.W, t.M, t.KH, t.KW, oH, oW, t.StrideH, t.StrideW, t.PadTop, t.PadLeft,
            t.DilationH, t.DilationW, t.Group);

        var expected = new double[y.Length];
        var scale = new double[y.Length];
        for (int n = 0; n < t.N; n++)
        for (int oc = 0; oc < t.M; oc++)
        {
            int g = oc / mg;
            for (int oh = 0; oh < oH; oh++)
            for (int ow = 0; ow < oW; ow++)
            {
                double sum = bias.Length > 0 ? bias[oc] : 0, abs = Math.Abs(sum);
                for (int ic = 0; ic < cg; ic++)
                for (int kh = 0; kh < t.KH; kh++)
                for (int kw = 0; kw < t.KW; kw++)
                {
                    int ih = oh * t.StrideH - t.PadTop + kh * t.DilationH;
                    int iw = ow * t.StrideW - t.PadLeft + kw * t.DilationW;
                    if (ih < 0 || ih >= t.H || iw < 0 || iw >= t.W) continue;
                    double term = (double)x[((n * t.C + g * cg + ic) * t.H + ih) * t.W + iw] * w[((oc * cg + ic) * t.KH + kh) * t.KW + kw];
                    sum += term;
                    abs += Math.Abs(term);
                }
                int idx = ((n * t.M + oc) * oH + oh) * oW + ow;
                expected[idx] = sum;
                scale[idx] = abs;
            }
        }
        TestUtil.AssertClose(expected, y, 1e-4, 1e-6, t.Name, scale);

        // im2col + packed GEMM with scratch: one panel of pixels at a time, and the planned block; then with a
        // fused Relu and LeakyRelu (in registers) and Sigmoid (on the finished rows).
        int depth = cg * t.KH * t.KW;
        long depthwise = Conv.DepthwiseScratchFloats(t.KH, t.KW, oH, oW, t.StrideH, t.StrideW, t.DilationH, t.DilationW);
        // Stride-2 Convs given room for their stride phases before the columns take them (the generator plans it).
        long phases = Conv.StridePhaseFloats(t.C, t.H, t.W, t.KH, t.KW, oW, t.StrideH, t.StrideW, t.PadTop, t.PadLeft, t.DilationH, t.DilationW);
        if (t.Name.Contains("-s2")) Assert.Equal(!t.Name.Contains("unpadded"), phases > 0);
        var sizes = new List<long> { depth * 16L, Conv.ScratchFloats(t.C, t.M, t.KH, t.KW, oH, oW, t.Group), depthwise, 0 };
        if (phases > 0) sizes.AddRange(new[] { phases + depth * 16L, phases + Conv.ScratchFloats(t.C, t.M, t.KH, t.KW, oH, oW, t.Group) });
        foreach (long floats in sizes)
        {
            foreach (var act in new[] { Activation.None, Activation.Relu, new Activation(ActivationKind.LeakyRelu, 0.2f), new Activation(ActivationKind.Sigmoid) })
            {
                var scratch = new float[floats];
                Array.Fill(scratch, float.NaN); // whatever the scratch holds must not leak into y
                Array.Fill(y, float.NaN);
                Conv.Conv2D(x, w, bias, y, t.N, t.C, t.H, t.W, t.M, t.KH, t.KW, oH, oW, t.StrideH, t.StrideW, t.PadTop, t.PadLeft,
                    t.DilationH, t.DilationW, t.Group, scratch, act);
                var activated = Array.ConvertAll(expected, v => act.Kind switch
                {
                    ActivationKind.Relu => Math.Max(v, 0),
                    ActivationKind.LeakyRelu => v < 0 ? 0.2 * v : v,
                    ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-v)),
                    _ => v,
                });
                TestUtil.AssertClose(activated, y, 1e-4, 1e-6, $"{t.Name} scratch {floats} {act.Kind}", scale);
            }
        }

        // Shared among threads (the caller and pool workers), each with its own slice of the scratch.
        foreach (int threads in new[] { 2, 3 })
        {
            long perThread = Math.Max(Math.Max(depth * 16L, Conv.ScratchFloats(t.C, t.M, t.KH, t.KW, oH, oW, t.Group)), depthwise);
            var shared = new float[phases + perThread * threads];
            Array.Fill(shared, float.NaN);
            Array.Fill(y, float.NaN);
            Conv.Conv2D(x, w, bias, y, t.N, t.C, t.H, t.W, t.M, t.KH, t.KW, oH, oW, t.StrideH, t.StrideW, t.PadTop, t.PadLeft,
                t.DilationH, t.DilationW, t.Group, shared, Activation.Relu, threads: threads);
            TestUtil.AssertClose(Array.ConvertAll(expected, v => Math.Max(v, 0)), y, 1e-4, 1e-6, $"{t.Name} {threads} threads", scale);
        }

        // The same input stored [n, h, w, c] (a folded NHWC Transpose): the im2col gather reads it in place.
        if (cg == 1 && mg == 1) return;

        // ResidualAddFusion: y = act(conv + bias + residual) from the GEMM's epilogue, the residual in a span of its own
        // (copied into y first) and as y itself, on one thread and two, with the planned scratch (and stride phases).
        float[] residual = TestUtil.RandomArray(rng, y.Length);
        var residualScale = Array.ConvertAll(scale, v => v);
        for (int i = 0; i < y.Length; i++) residualScale[i] += Math.Abs(residual[i]);
        long columns = Math.Max(depth * 16L, Conv.ScratchFloats(t.C, t.M, t.KH, t.KW, oH, oW, t.Group));
        foreach (var (threads, inPlace) in new[] { (1, false), (1, true), (2, true) })
        {
            foreach (var act in new[] { Activation.Relu, new Activation(ActivationKind.Sigmoid) })
            {
                var scratch = new float[phases + columns * threads];
                Array.Fill(scratch, float.NaN);
                if (inPlace) residual.CopyTo(y);
                else Array.Fill(y, float.NaN);
                Conv.Conv2D(x, w, bias, y, t.N, t.C, t.H, t.W, t.M, t.KH, t.KW, oH, oW, t.StrideH, t.StrideW, t.PadTop, t.PadLeft,
                    t.DilationH, t.DilationW, t.Group, scratch, act, threads: threads, residual: inPlace ? y : residual);
                var activated = new double[y.Length];
                for (int i = 0; i < y.Length; i++)
                {
                    double v = expected[i] + residual[i];
                    activated[i] = act.Kind == ActivationKind.Relu ? Math.Max(v, 0) : 1 / (1 + Math.Exp(-v));
                }
                TestUtil.AssertClose(activated, y, 1e-4, 1e-6, $"{t.Name} residual threads {threads} in place {inPlace} {act.Kind}", residualScale);
            }
        }
        // Depthwise and channels-last Convs do not take one.
        Assert.Throws<ArgumentException>(() => Conv.Conv2D(x, w, bias, y, t.N, t.C, t.H, t.W, t.M, t.KH, t.KW, oH, oW, t.StrideH, t.StrideW, t.PadTop, t.PadLeft,
            t.DilationH, t.DilationW, t.Group, new float[phases + columns], Activation.None, channelsLast: true, residual: residual));
        var nhwc = new float[x.Length];
        for (int n = 0; n < t.N; n++)
            for (int c = 0; c < t.C; c++)
                for (int i = 0; i < t.H * t.W; i++)
                    nhwc[(n * t.H * t.W + i) * t.C + c] = x[(n * t.C + c) * t.H * t.W + i];
        var planned = new float[Math.Max(depth * 16L, Conv.ScratchFloats(t.C, t.M, t.KH, t.KW, oH, oW, t.Group))];
        Array.Fill(y, float.NaN);
        Conv.Conv2D(nhwc, w, bias, y, t.N, t.C, t.H, t.W, t.M, t.KH, t.KW, oH, oW, t.StrideH, t.StrideW, t.PadTop, t.PadLeft,
            t.DilationH, t.DilationW, t.Group, planned, Activation.None, channelsLast: true);
        TestUtil.AssertClose(expected, y, 1e-4, 1e-6, $"{t.Name} channels-last", scale);
    }
}
