using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>Conv.Pointwise (1x1 Conv with bias, residual and activation in the epilogue) against a double-precision reference, at every vector width.</summary>
public class ConvPointwiseTests
{
    [Theory]
    [InlineData(1, 24, 24, 4096, true, true)] // BlazeFace's first block: 64x64 pixels
    [InlineData(1, 88, 96, 64, true, true)] // its 8x8 stage
    [InlineData(2, 13, 7, 45, true, false)] // odd sizes: 1-row tile, pixels past the last vector pair
    [InlineData(1, 5, 11, 37, false, true)] // 6 + 4 + 1 rows, no bias
    [InlineData(1, 3, 2, 3, true, true)] // fewer pixels than a vector
    public void MatchesReference(int n, int c, int m, int pixels, bool withBias, bool withResidual)
    {
        var rng = new Random(c * 31 + m * 7 + pixels);
        float[] x = TestUtil.RandomArray(rng, n * c * pixels);
        float[] w = TestUtil.RandomArray(rng, m * c);
        float[] bias = withBias ? TestUtil.RandomArray(rng, m) : Array.Empty<float>();
        float[] residual = withResidual ? TestUtil.RandomArray(rng, n * m * pixels) : Array.Empty<float>();
        var expected = new double[n * m * pixels];
        var scale = new double[expected.Length];
        for (int b = 0; b < n; b++)
        for (int i = 0; i < m; i++)
        for (int p = 0; p < pixels; p++)
        {
            int at = (b * m + i) * pixels + p;
            double sum = (withBias ? bias[i] : 0) + (withResidual ? residual[at] : 0), abs = Math.Abs(sum);
            for (int k = 0; k < c; k++)
            {
                double term = (double)w[i * c + k] * x[(b * c + k) * pixels + p];
                sum += term;
                abs += Math.Abs(term);
            }
            expected[at] = sum;
            scale[at] = abs;
        }
        foreach (int width in new[] { 16, 8, 4, 0 })
        foreach (var act in new[] { Activation.None, Activation.Relu, new Activation(ActivationKind.LeakyRelu, 0.1f), new Activation(ActivationKind.Clip, -1f, 1.5f), new Activation(ActivationKind.Sigmoid) })
        {
            var y = new float[expected.Length + 5];
            Array.Fill(y, float.NaN);
            Conv.Pointwise(x, w, bias, residual, y, n, c, m, pixels, act, width);
            var activated = Array.ConvertAll(expected, v => act.Kind switch
            {
                ActivationKind.Relu => Math.Max(v, 0),
                ActivationKind.LeakyRelu => v < 0 ? 0.1 * v : v,
                ActivationKind.Clip => Math.Min(Math.Max(v, -1), 1.5),
                ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-v)),
                _ => v,
            });
            TestUtil.AssertClose(activated, y, 1e-5, 1e-6, $"width {width} {act.Kind}", scale);
            for (int i = expected.Length; i < y.Length; i++) Assert.True(float.IsNaN(y[i]), "wrote past the output");
            if (!withResidual) continue;
            // In place: the output overwrites the residual it reads.
            var inPlace = (float[])residual.Clone();
            Conv.Pointwise(x, w, bias, inPlace, inPlace, n, c, m, pixels, act, width);
            TestUtil.AssertClose(activated, inPlace, 1e-5, 1e-6, $"in place, width {width} {act.Kind}", scale);
        }
    }

    [Fact]
    public void AllocatesNothing()
    {
        var rng = new Random(5);
        var x = TestUtil.RandomArray(rng, 24 * 256);
        var w = TestUtil.RandomArray(rng, 28 * 24);
        var r = TestUtil.RandomArray(rng, 28 * 256);
        var y = new float[28 * 256];
        for (int i = 0; i < 10; i++) Conv.Pointwise(x, w, default, r, y, 1, 24, 28, 256, Activation.Relu);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Conv.Pointwise(x, w, default, r, y, 1, 24, 28, 256, Activation.Relu);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
