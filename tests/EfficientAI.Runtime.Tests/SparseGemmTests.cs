using System;
using System.Linq;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>SparseGemm (CSR by output column, AVX2 gathers) against a double-precision dense reference.</summary>
public class SparseGemmTests
{
    /// <summary>W [k, n] with the given fraction of zeros at random positions (some columns empty at high sparsity), never all zero.</summary>
    private static float[] Pruned(Random rng, int k, int n, double sparsity)
    {
        var w = Enumerable.Range(0, k * n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        for (int i = 0; i < w.Length; i++) if (rng.NextDouble() < sparsity) w[i] = 0f;
        w[rng.Next(w.Length)] = 0.75f;
        return w;
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.99)]
    public void MatchesTheDenseProduct(double sparsity)
    {
        var rng = new Random(17 + (int)(sparsity * 100));
        foreach (var (m, n, k) in new[] { (1, 1, 1), (1, 10, 784), (1, 64, 512), (3, 17, 33), (8, 5, 200), (2, 40, 7), (16, 9, 70), (37, 12, 100) })
            foreach (bool transposed in new[] { false, true })
                foreach (bool withBias in new[] { false, true })
                {
                    var w = Pruned(rng, k, n, sparsity); // [k, n], or [n, k] when transposed
                    var a = Enumerable.Range(0, m * k).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
                    var bias = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
                    var expected = new float[m * n];
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++)
                        {
                            double s = withBias ? bias[j] : 0;
                            for (int p = 0; p < k; p++) s += (double)a[i * k + p] * 0.5 * w[transposed ? j * k + p : p * n + j];
                            expected[i * n + j] = (float)s;
                        }
                    var (start, rows, values) = SparseGemm.Compress(w, k, n, transposed, 0.5f);
                    Assert.Equal(w.Count(v => v != 0f), values.Length);
                    var y = new float[m * n + 2];
                    Array.Fill(y, float.NaN);
                    var scratch = new float[SparseGemm.RowsScratchFloats(k)];
                    foreach (var kernel in new[] { "gather", "rows16", "rows1" })
                    {
                        Array.Fill(y, float.NaN);
                        if (kernel == "gather") SparseGemm.Compute(a, start, rows, values, withBias ? bias : default, y, m, n, k, Activation.None);
                        else SparseGemm.ComputeRows(a, start, rows, values, withBias ? bias : default, y, m, n, k, scratch, Activation.None, kernel == "rows16" ? 16 : 1);
                        string context = $"{kernel} m{m} n{n} k{k} sparsity{sparsity} t{transposed} bias{withBias}";
                        for (int i = 0; i < m * n; i++)
                            Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"{context}: y[{i}] = {y[i]}, expected {expected[i]}");
                        Assert.True(float.IsNaN(y[m * n]) && float.IsNaN(y[m * n + 1]), context + ": wrote past y");
                    }
                }
    }

    [Fact]
    public void AppliesTheActivation()
    {
        var rng = new Random(5);
        var w = Pruned(rng, 64, 32, 0.7);
        var a = Enumerable.Range(0, 2 * 64).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var (start, rows, values) = SparseGemm.Compress(w, 64, 32);
        var plain = new float[64];
        var relu = new float[64];
        SparseGemm.Compute(a, start, rows, values, default, plain, 2, 32, 64, Activation.None);
        SparseGemm.Compute(a, start, rows, values, default, relu, 2, 32, 64, Activation.Relu);
        Assert.Contains(plain, v => v < 0);
        Assert.Equal(plain.Select(v => Math.Max(v, 0f)), relu);
    }

    [Fact]
    public void RefusesIndicesOutsideTheRow()
    {
        var (start, rows, values) = SparseGemm.Compress(Enumerable.Repeat(1f, 16 * 2).ToArray(), 16, 2);
        rows[20] = 16;
        Assert.Throws<ArgumentException>(() => SparseGemm.Compute(new float[16], start, rows, values, default, new float[2], 1, 2, 16, Activation.None));
        rows[20] = -1;
        Assert.Throws<ArgumentException>(() => SparseGemm.Compute(new float[16], start, rows, values, default, new float[2], 1, 2, 16, Activation.None));
        rows[20] = 3;
        start[1] = 40;
        Assert.Throws<ArgumentException>(() => SparseGemm.Compute(new float[16], start, rows, values, default, new float[2], 1, 2, 16, Activation.None));
    }
}
