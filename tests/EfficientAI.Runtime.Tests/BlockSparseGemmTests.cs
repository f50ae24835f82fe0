using System;
using System.Linq;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>BlockSparseGemm (1x16 blocks, AVX-512 on this machine, scalar elsewhere) against a double-precision dense reference.</summary>
public class BlockSparseGemmTests
{
    /// <summary>W [k, n] (or [n, k] transposed) with the given fraction of its aligned 1x16 blocks zero, and a few single zeros inside kept blocks.</summary>
    private static float[] BlockPruned(Random rng, int k, int n, bool transposed, double sparsity)
    {
        var w = Enumerable.Range(0, k * n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        for (int p = 0; p < k; p++)
            for (int panel = 0; panel * 16 < n; panel++)
                if (rng.NextDouble() < sparsity)
                    for (int j = panel * 16; j < Math.Min(n, panel * 16 + 16); j++) w[transposed ? j * k + p : p * n + j] = 0f;
        w[rng.Next(w.Length)] = 0f;
        return w;
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.75)]
    [InlineData(1.0)]
    public void MatchesTheDenseProduct(double sparsity)
    {
        var rng = new Random(23 + (int)(sparsity * 100));
        foreach (var (m, n, k) in new[] { (1, 16, 1), (1, 64, 512), (3, 17, 33), (4, 40, 7), (5, 64, 70), (9, 33, 100), (16, 512, 64) })
            foreach (bool transposed in new[] { false, true })
                foreach (bool withBias in new[] { false, true })
                {
                    var w = BlockPruned(rng, k, n, transposed, sparsity);
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
                    var (start, rows, values) = BlockSparseGemm.Compress(w, k, n, transposed, 0.5f);
                    Assert.Equal(rows.Length * 16, values.Length);
                    var y = new float[m * n + 2];
                    Array.Fill(y, float.NaN);
                    BlockSparseGemm.Compute(a, start, rows, values, withBias ? bias : default, y, m, n, k, Activation.None);
                    string context = $"m{m} n{n} k{k} sparsity{sparsity} t{transposed} bias{withBias}";
                    for (int i = 0; i < m * n; i++)
                        Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"{context}: y[{i}] = {y[i]}, expected {expected[i]}");
                    Assert.True(float.IsNaN(y[m * n]) && float.IsNaN(y[m * n + 1]), context + ": wrote past y");
                }
    }

    [Fact]
    public void KeepsOnlyNonzeroBlocksAndAppliesTheActivation()
    {
        var rng = new Random(7);
        var w = BlockPruned(rng, 64, 32, false, 0.5);
        int kept = Enumerable.Range(0, 64).Sum(p => Enumerable.Range(0, 2).Count(panel => Enumerable.Range(panel * 16, 16).Any(j => w[p * 32 + j] != 0f)));
        var (start, rows, values) = BlockSparseGemm.Compress(w, 64, 32);
        Assert.Equal(kept, rows.Length);
        Assert.InRange(rows.Length, 40, 88); // about half of the 128 blocks
        var a = Enumerable.Range(0, 2 * 64).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var plain = new float[64];
        var relu = new float[64];
        BlockSparseGemm.Compute(a, start, rows, values, default, plain, 2, 32, 64, Activation.None);
        BlockSparseGemm.Compute(a, start, rows, values, default, relu, 2, 32, 64, Activation.Relu);
        Assert.Contains(plain, v => v < 0);
        Assert.Equal(plain.Select(v => Math.Max(v, 0f)), relu);
    }

    [Fact]
    public void RefusesRowsOutsideTheMatrix()
    {
        var (start, rows, values) = BlockSparseGemm.Compress(Enumerable.Repeat(1f, 16 * 2).ToArray(), 2, 16);
        rows[1] = 2;
        Assert.Throws<ArgumentException>(() => BlockSparseGemm.Compute(new float[2], start, rows, values, default, new float[16], 1, 16, 2, Activation.None));
    }
}
