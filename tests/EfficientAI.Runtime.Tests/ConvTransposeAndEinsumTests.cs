using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>ConvTranspose, Einsum and Resize.Separable against naive double-precision loops written from the definitions.</summary>
public class ConvTransposeAndEinsumTests
{
    /// <summary>Scatter form of the definition: every input value times every tap lands at i * s - pad + k * d.</summary>
    private static double[] NaiveConvTranspose2D(float[] x, float[] w, float[]? bias, int n, int c, int h, int wi, int m, int group,
        int kh, int kw, int oh, int ow, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        var y = new double[n * m * oh * ow];
        int cg = c / group, mg = m / group;
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < wi; j++)
                    {
                        int g = ch / cg;
                        for (int mm = 0; mm < mg; mm++)
                            for (int a = 0; a < kh; a++)
                                for (int e = 0; e < kw; e++)
                                {
                                    int oy = i * sh - ph + a * dh, ox = j * sw - pw + e * dw;
                                    if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                                    int outC = g * mg + mm;
                                    y[((b * m + outC) * oh + oy) * ow + ox] += (double)x[((b * c + ch) * h + i) * wi + j] * w[((ch * mg + mm) * kh + a) * kw + e];
                                }
                    }
        if (bias is not null)
            for (int i = 0; i < y.Length; i++) y[i] += bias[i / (oh * ow) % m];
        return y;
    }

    [Theory]
    [InlineData(1, 3, 4, 5, 2, 1, 3, 3, 1, 1, 0, 0, 1, 1)]
    [InlineData(2, 4, 3, 3, 6, 2, 3, 2, 2, 3, 1, 0, 1, 1)]
    [InlineData(1, 2, 5, 4, 4, 2, 2, 3, 3, 2, 1, 2, 2, 1)]
    public void ConvTransposeMatchesTheDefinition(int n, int c, int h, int wi, int m, int group, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        var rng = new Random(n * 100 + c * 10 + kh);
        int oh = sh * (h - 1) + dh * (kh - 1) + 1 - 2 * ph, ow = sw * (wi - 1) + dw * (kw - 1) + 1 - 2 * pw;
        var x = TestUtil.RandomArray(rng, n * c * h * wi);
        var w = TestUtil.RandomArray(rng, c * (m / group) * kh * kw);
        var bias = TestUtil.RandomArray(rng, m);
        var y = new float[n * m * oh * ow];
        int[] inSpatial = { h, wi }, kernel = { kh, kw };
        var scratch = new float[ConvTranspose.ScratchFloats(m, group, inSpatial, kernel)];
        ConvTranspose.Compute(x, w, bias, y, scratch, n, c, m, group, inSpatial, new[] { oh, ow }, kernel, new[] { sh, sw }, new[] { ph, pw }, new[] { dh, dw });
        var expected = NaiveConvTranspose2D(x, w, bias, n, c, h, wi, m, group, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw);
        for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-4 + 1e-4 * Math.Abs(expected[i]), $"y[{i}] = {y[i]}, expected {expected[i]}");
    }

    [Fact]
    public void EinsumContractMatchesTheDefinition()
    {
        // y[i, k] = sum_j sum_l a[i, j, l] * b[l, j, k] (a contraction over two indices in different orders).
        var rng = new Random(5);
        int I = 3, J = 4, K = 5, L = 2;
        var a = TestUtil.RandomArray(rng, I * J * L);
        var b = TestUtil.RandomArray(rng, L * J * K);
        var y = new float[I * K];
        // Index space (i, k, j, l): a strides (J*L, 0, L, 1), b strides (0, 1, K, J*K).
        Einsum.Contract<float>(a, b, y, new[] { I, K, J, L }, new[] { J * L, 0, L, 1 }, new[] { 0, 1, K, J * K }, 2);
        for (int i = 0; i < I; i++)
            for (int k = 0; k < K; k++)
            {
                double sum = 0;
                for (int j = 0; j < J; j++)
                    for (int l = 0; l < L; l++) sum += (double)a[(i * J + j) * L + l] * b[(l * J + j) * K + k];
                Assert.True(Math.Abs(y[i * K + k] - sum) <= 1e-5 + 1e-5 * Math.Abs(sum));
            }

        // The trace of a 4x4 matrix: one operand, a diagonal (stride 4 + 1), no output axis.
        var m = TestUtil.RandomArray(rng, 16);
        var trace = new float[1];
        Einsum.Contract<float>(m, default, trace, new[] { 4 }, new[] { 5 }, default, 0);
        Assert.Equal(m[0] + m[5] + m[10] + m[15], trace[0], 5);
    }

    [Fact]
    public void SeparableResizeBlendsTapsAndExtrapolates()
    {
        float[] x = { 1, 2, 3, 4, 5, 6 }; // one plane [2, 3]
        var y = new float[2 * 2];
        // Row 0 averages both rows; row 1 is outside (-1). Column 0 takes column 2; column 1 blends 0 and 1 as 1:3.
        Resize.Separable(x, y, 1, 2, 3, 2, 2, 2, new[] { 0, 1, -1, -1 }, new[] { 0.5f, 0.5f, 0f, 0f },
            new[] { 2, 2, 0, 1 }, new[] { 1f, 0f, 0.25f, 0.75f }, 9f);
        Assert.Equal(new[] { 4.5f, 0.5f * (0.25f * 1 + 0.75f * 2) + 0.5f * (0.25f * 4 + 0.75f * 5), 9f, 9f }, y);
    }
}
