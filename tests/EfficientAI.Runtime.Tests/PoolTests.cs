using System;
using System.Collections.Generic;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class PoolTests
{
    public record Case(string Name, int NC, int H, int W, int KH, int KW, int StrideH, int StrideW,
        int PadTop, int PadLeft, int PadBottom, int PadRight, int DilationH, int DilationW, bool Ceil)
    {
        private static int Size(int input, int padBegin, int padEnd, int k, int d, int s, bool ceil)
        {
            int span = input + padBegin + padEnd - d * (k - 1) - 1;
            int o = (ceil ? (span + s - 1) / s : span / s) + 1;
            // Ceil mode drops a last window that would start in the end padding.
            if (ceil && (o - 1) * s >= input + padBegin) o--;
            return o;
        }
        public int OH => Size(H, PadTop, PadBottom, KH, DilationH, StrideH, Ceil);
        public int OW => Size(W, PadLeft, PadRight, KW, DilationW, StrideW, Ceil);
        public override string ToString() => Name;
    }

    public static IEnumerable<object[]> Cases()
    {
        Case[] cases =
        {
            new("3x3-s1-p1", 3, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false),
            new("3x3-s2-p1-ceil", 2, 8, 11, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true),
            // Strided windows over column maxima: ResNet-18's 3x3 s2 p1 on an even width, stride 3 with a left pad of 2,
            // and a window wider than the input row.
            new("3x3-s2-p1-even", 3, 12, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false),
            new("4x5-s3-p2", 2, 10, 29, 4, 5, 3, 3, 2, 2, 1, 2, 1, 1, true),
            new("1x7-s2-narrow", 1, 3, 5, 1, 7, 1, 2, 0, 3, 0, 3, 1, 1, false),
            new("2x2-s2-odd-ceil", 4, 7, 9, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, true),
            new("1x5-asymmetric", 2, 5, 17, 1, 5, 1, 1, 0, 2, 0, 1, 1, 1, false),
            new("3x3-s1-dilated", 2, 9, 10, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, false),
            new("2x3-s2x1-dilated", 1, 12, 33, 2, 3, 2, 1, 1, 0, 1, 2, 2, 3, false),
            new("big-kernel", 1, 6, 6, 4, 4, 3, 3, 2, 1, 1, 2, 1, 1, true),
            new("1x1", 3, 4, 65, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, false),
            new("2x2-s2-64x64", 3, 64, 64, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false), // BlazeFace's pools: 16 outputs per vector step
            new("2x2-s2-odd-floor", 2, 9, 37, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false), // 18 outputs a row: one step and two scalar
            new("2x2-s2-8-wide", 5, 16, 16, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false), // rows of 8 outputs: two rows per vector step
            new("2x2-s2-8-wide-odd-rows", 3, 7, 16, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false), // 3 output rows: a pair and one scalar
            // Column stride 2 in vectors (MaxPoolStride2): ResNet-18's 112x112 (56 outputs: three steps, the last partial),
            // whole 16-output steps, 1-wide and 5-wide windows, a row wider than its windows reach, a dilated column of rows.
            new("3x3-s2-p1-resnet", 2, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false),
            new("3x3-s2-p1-32-outputs", 2, 9, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false),
            new("1x1-s2", 2, 5, 35, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, false),
            new("5x5-s2-p2-ceil", 2, 13, 47, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, true),
            new("2x3-s3x2-unreached", 3, 11, 70, 2, 3, 3, 2, 0, 0, 0, 0, 1, 1, false),
            new("3x2-s2-row-dilated", 1, 15, 40, 3, 2, 2, 2, 2, 1, 2, 0, 2, 1, false),
        };
        foreach (var c in cases) yield return new object[] { c };
    }

    [Fact]
    public void MaxPool2x2PropagatesNaN()
    {
        // NaN in each of a window's four positions, in the vector steps and the scalar tail.
        var x = new float[2 * 4 * 40];
        for (int i = 0; i < x.Length; i++) x[i] = i % 7 - 3;
        int[] at = { 0, 3, 2 * 40 + 40 + 4, 40 + 7, 36, 40 + 39, 80 + 5 };
        foreach (int i in at) x[i] = float.NaN;
        var y = new float[2 * 2 * 20];
        Pool.MaxPool2D(x, y, 2, 4, 40, 2, 2, 2, 20, 2, 2, 0, 0, 1, 1);
        for (int p = 0; p < 2; p++)
        for (int oh = 0; oh < 2; oh++)
        for (int ow = 0; ow < 20; ow++)
        {
            bool nan = false;
            float max = float.NegativeInfinity;
            for (int kh = 0; kh < 2; kh++)
            for (int kw = 0; kw < 2; kw++)
            {
                float v = x[(p * 4 + 2 * oh + kh) * 40 + 2 * ow + kw];
                nan |= float.IsNaN(v);
                max = Math.Max(max, v);
            }
            float got = y[(p * 2 + oh) * 20 + ow];
            if (nan) Assert.True(float.IsNaN(got), $"[{p},{oh},{ow}] expected NaN, got {got}");
            else Assert.Equal(max, got);
        }
    }

    [Fact]
    public void MaxPoolStride2PropagatesNaN()
    {
        // 3x3 stride 2 pad 1 (MaxPoolStride2): NaN in a window's first, middle and last columns, in whole and partial steps.
        const int h = 6, w = 45, oH = 3, oW = 23;
        var x = new float[h * w];
        for (int i = 0; i < x.Length; i++) x[i] = i % 11 - 5;
        int[] at = { 0, 17, w + 32, 2 * w + 44, 5 * w + 3, 4 * w + 40 };
        foreach (int i in at) x[i] = float.NaN;
        var y = new float[oH * oW];
        Pool.MaxPool2D(x, y, 1, h, w, 3, 3, oH, oW, 2, 2, 1, 1, 1, 1);
        for (int oh = 0; oh < oH; oh++)
        for (int ow = 0; ow < oW; ow++)
        {
            bool nan = false;
            float max = float.NegativeInfinity;
            for (int ih = Math.Max(0, 2 * oh - 1); ih <= Math.Min(h - 1, 2 * oh + 1); ih++)
            for (int iw = Math.Max(0, 2 * ow - 1); iw <= Math.Min(w - 1, 2 * ow + 1); iw++)
            {
                float v = x[ih * w + iw];
                nan |= float.IsNaN(v);
                max = Math.Max(max, v);
            }
            float got = y[oh * oW + ow];
            if (nan) Assert.True(float.IsNaN(got), $"[{oh},{ow}] expected NaN, got {got}");
            else Assert.Equal(max, got);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxPoolMatchesReference(Case t)
    {
        var rng = new Random(t.Name.Length);
        float[] x = TestUtil.RandomArray(rng, t.NC * t.H * t.W);
        int oH = t.OH, oW = t.OW;
        var y = new float[t.NC * oH * oW];
        Pool.MaxPool2D(x, y, t.NC, t.H, t.W, t.KH, t.KW, oH, oW, t.StrideH, t.StrideW, t.PadTop, t.PadLeft, t.DilationH, t.DilationW);
        var expected = new double[y.Length];
        for (int p = 0; p < t.NC; p++)
        for (int oh = 0; oh < oH; oh++)
        for (int ow = 0; ow < oW; ow++)
        {
            double max = double.NegativeInfinity;
            for (int kh = 0; kh < t.KH; kh++)
            for (int kw = 0; kw < t.KW; kw++)
            {
                int ih = oh * t.StrideH - t.PadTop + kh * t.DilationH, iw = ow * t.StrideW - t.PadLeft + kw * t.DilationW;
                if (ih >= 0 && ih < t.H && iw >= 0 && iw < t.W) max = Math.Max(max, x[(p * t.H + ih) * t.W + iw]);
            }
            expected[(p * oH + oh) * oW + ow] = max;
        }
        TestUtil.AssertClose(expected, y, 0, 0, "maxpool " + t.Name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AveragePoolMatchesReference(Case t)
    {
        if (t.DilationH != 1 || t.DilationW != 1) return; // AveragePool2D has no dilation
        var rng = new Random(t.Name.Length + 100);
        float[] x = TestUtil.RandomArray(rng, t.NC * t.H * t.W);
        int oH = t.OH, oW = t.OW;
        foreach (bool include in new[] { false, true })
        {
            var y = new float[t.NC * oH * oW];
            Pool.AveragePool2D(x, y, t.NC, t.H, t.W, t.KH, t.KW, oH, oW, t.StrideH, t.StrideW, t.PadTop, t.PadLeft,
                t.PadBottom, t.PadRight, include);
            var expected = new double[y.Length];
            var scale = new double[y.Length];
            for (int p = 0; p < t.NC; p++)
            for (int oh = 0; oh < oH; oh++)
            for (int ow = 0; ow < oW; ow++)
            {
                double sum = 0, abs = 0;
                int count = 0;
                for (int kh = 0; kh < t.KH; kh++)
                for (int kw = 0; kw < t.KW; kw++)
                {
                    int ih = oh * t.StrideH - t.PadTop + kh, iw = ow * t.StrideW - t.PadLeft + kw;
                    bool inPadded = ih >= -t.PadTop && ih < t.H + t.PadBottom && iw >= -t.PadLeft && iw < t.W + t.PadRight;
                    bool inInput = ih >= 0 && ih < t.H && iw >= 0 && iw < t.W;
                    if (inInput) { sum += x[(p * t.H + ih) * t.W + iw]; abs += Math.Abs(x[(p * t.H + ih) * t.W + iw]); }
                    if (include ? inPadded : inInput) count++;
                }
                expected[(p * oH + oh) * oW + ow] = sum / count;
                scale[(p * oH + oh) * oW + ow] = abs / count;
            }
            TestUtil.AssertClose(expected, y, 1e-5, 1e-7, $"avgpool {t.Name} include={include}", scale);
        }
    }

    [Fact]
    public void GlobalPoolsMatchReference()
    {
        var rng = new Random(5);
        foreach (int spatial in new[] { 1, 3, 7, 17, 49, 65, 1000 })
        {
            int nc = 5;
            float[] x = TestUtil.RandomArray(rng, nc * spatial);
            var avg = new float[nc];
            var max = new float[nc];
            Pool.GlobalAveragePool(x, avg, nc, spatial);
            Pool.GlobalMaxPool(x, max, nc, spatial);
            var eAvg = new double[nc];
            var eMax = new double[nc];
            var scale = new double[nc];
            for (int i = 0; i < nc; i++)
            {
                double sum = 0, m = double.NegativeInfinity, abs = 0;
                for (int j = 0; j < spatial; j++) { sum += x[i * spatial + j]; abs += Math.Abs(x[i * spatial + j]); m = Math.Max(m, x[i * spatial + j]); }
                eAvg[i] = sum / spatial;
                scale[i] = abs / spatial;
                eMax[i] = m;
            }
            TestUtil.AssertClose(eAvg, avg, 1e-5, 1e-7, $"global avg {spatial}", scale);
            TestUtil.AssertClose(eMax, max, 0, 0, $"global max {spatial}");
        }
    }
}
