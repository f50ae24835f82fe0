using System;
using System.Linq;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>Conv.Conv2DSparse (im2col panels, nonzero weights only) against the direct Conv2D on the same pruned weights.</summary>
public class ConvSparseTests
{
    [Theory]
    // n, c, h, w, m, kH, kW, stride, pad, dilation, sparsity
    [InlineData(1, 16, 8, 8, 32, 3, 3, 1, 1, 1, 0.5)]
    [InlineData(2, 3, 9, 7, 5, 3, 3, 2, 1, 1, 0.7)]
    [InlineData(1, 4, 11, 13, 6, 3, 2, 1, 0, 2, 0.9)]
    [InlineData(1, 8, 5, 5, 4, 1, 1, 1, 0, 1, 0.0)]
    [InlineData(2, 2, 6, 6, 3, 5, 5, 1, 2, 1, 0.95)]
    public void MatchesTheDirectConvolution(int n, int c, int h, int w, int m, int kH, int kW, int stride, int pad, int dilation, double sparsity)
    {
        var rng = new Random(c * 31 + m);
        int oH = (h + 2 * pad - dilation * (kH - 1) - 1) / stride + 1, oW = (w + 2 * pad - dilation * (kW - 1) - 1) / stride + 1;
        int depth = c * kH * kW;
        var x = TestUtil.RandomArray(rng, n * c * h * w);
        var weight = TestUtil.RandomArray(rng, m * depth);
        for (int i = 0; i < weight.Length; i++) if (rng.NextDouble() < sparsity) weight[i] = 0f;
        weight[0] = 0.5f;
        for (int r = 0; r < depth; r++) weight[(m - 1) * depth + r] = 0f; // one channel with no weight left: only its bias
        var bias = TestUtil.RandomArray(rng, m);
        var expected = new float[n * m * oH * oW];
        Conv.Conv2D(x, weight, bias, expected, n, c, h, w, m, kH, kW, oH, oW, stride, stride, pad, pad, dilation, dilation, 1);
        var (start, rows, values) = SparseGemm.Compress(weight, depth, m, transposed: true);
        foreach (int blockPixels in new[] { 16, 256 })
        foreach (int width in new[] { 16, 8, 1 })
        {
            var scratch = new float[Conv.ScratchFloats(c, m, kH, kW, oH, oW, 1, blockPixels)];
            var y = new float[expected.Length + 1];
            Array.Fill(y, float.NaN);
            Conv.Conv2DSparse(x, start, rows, values, bias, y, n, c, h, w, m, kH, kW, oH, oW, stride, stride, pad, pad, dilation, dilation, scratch, Activation.None, width);
            string context = $"n{n} c{c} {h}x{w} m{m} k{kH}x{kW} s{stride} p{pad} d{dilation} sparsity{sparsity} block{blockPixels} width{width}";
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"{context}: y[{i}] = {y[i]}, expected {expected[i]}");
            Assert.True(float.IsNaN(y[^1]), context + ": wrote past y");
        }
    }

    [Fact]
    public void AppliesTheActivationAndChecksIndices()
    {
        var rng = new Random(9);
        var x = TestUtil.RandomArray(rng, 2 * 6 * 6);
        var weight = TestUtil.RandomArray(rng, 4 * 18);
        var (start, rows, values) = SparseGemm.Compress(weight, 18, 4, transposed: true);
        var scratch = new float[Conv.ScratchFloats(2, 4, 3, 3, 6, 6, 1)];
        var plain = new float[4 * 36];
        var relu = new float[4 * 36];
        Conv.Conv2DSparse(x, start, rows, values, default, plain, 1, 2, 6, 6, 4, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1, scratch, Activation.None);
        Conv.Conv2DSparse(x, start, rows, values, default, relu, 1, 2, 6, 6, 4, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1, scratch, Activation.Relu);
        Assert.Contains(plain, v => v < 0);
        Assert.Equal(plain.Select(v => Math.Max(v, 0f)), relu);
        rows[3] = 18;
        Assert.Throws<ArgumentException>(() => Conv.Conv2DSparse(x, start, rows, values, default, plain, 1, 2, 6, 6, 4, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1, scratch, Activation.None));
    }
}
