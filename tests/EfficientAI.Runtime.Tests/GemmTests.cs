using System;
using System.Collections.Generic;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class GemmTests
{
    // m, n, k: odd sizes hit every vector tail; k > 256 crosses the depth blocking, k >= 32 the 512-bit dot path.
    private static readonly (int M, int N, int K)[] Sizes =
    {
        (1, 1, 1), (1, 17, 33), (3, 7, 5), (4, 16, 8), (7, 65, 17), (17, 33, 300), (65, 3, 1), (5, 40, 600), (9, 70, 64), (2, 130, 3),
    };

    public static IEnumerable<object[]> FlagsAndC()
    {
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                foreach (string cMode in new[] { "none", "scalar", "row", "column", "full" })
                    yield return new object[] { ta, tb, cMode };
    }

    [Theory]
    [MemberData(nameof(FlagsAndC))]
    public void ComputeMatchesReference(bool transA, bool transB, string cMode)
    {
        var rng = new Random(1234 + (transA ? 1 : 0) + (transB ? 2 : 0) + cMode.Length * 4);
        foreach (var (m, n, k) in Sizes)
        {
            float[] a = TestUtil.RandomArray(rng, m * k), b = TestUtil.RandomArray(rng, k * n);
            (int cRows, int cCols) = cMode switch
            {
                "scalar" => (1, 1), "row" => (1, n), "column" => (m, 1), "full" => (m, n), _ => (0, 0),
            };
            float[] c = TestUtil.RandomArray(rng, cRows * cCols);
            foreach (var (alpha, beta) in new[] { (1f, 1f), (0.75f, -1.25f), (0f, 2f) })
            {
                var (expected, scale) = Reference(a, b, c, m, n, k, transA, transB, alpha, beta, cRows, cCols);
                foreach (int width in new[] { 16, 8, 4, 1 })
                {
                    var y = new float[m * n];
                    Array.Fill(y, float.NaN); // must be fully overwritten
                    Gemm.Compute(a, b, c, y, m, n, k, transA, transB, alpha, beta, cRows, cCols, width);
                    TestUtil.AssertClose(expected, y, 1e-4, 1e-6, $"gemm m{m} n{n} k{k} tA{transA} tB{transB} c{cMode} a{alpha} b{beta} w{width}", scale);
                }
            }
            if (cMode == "none")
            {
                var (expected, scale) = Reference(a, b, c, m, n, k, transA, transB, 1f, 0f, 0, 0);
                var y = new float[m * n];
                Gemm.Compute(a, b, default, y, m, n, k, transA, transB, 1f, 0f, 0, 0);
                TestUtil.AssertClose(expected, y, 1e-4, 1e-6, $"public gemm m{m} n{n} k{k}", scale);
            }
        }
    }

    private static (double[] Y, double[] Scale) Reference(float[] a, float[] b, float[] c, int m, int n, int k,
        bool transA, bool transB, float alpha, float beta, int cRows, int cCols)
    {
        var y = new double[m * n];
        var scale = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA ? a[p * m + i] : a[i * k + p];
                    double bv = transB ? b[j * k + p] : b[p * n + j];
                    sum += av * bv;
                    abs += Math.Abs(av * bv);
                }
                double cv = c.Length == 0 ? 0 : c[(cRows == 1 ? 0 : i) * cCols + (cCols == 1 ? 0 : j)];
                y[i * n + j] = alpha * sum + beta * cv;
                scale[i * n + j] = Math.Abs(alpha) * abs + Math.Abs(beta * cv);
            }
        }
        return (y, scale);
    }

    [Fact]
    public void MatMulBatchedMatchesReference()
    {
        var rng = new Random(77);
        foreach (var (m, n, k) in new[] { (3, 17, 9), (1, 5, 33), (8, 33, 7) })
        {
            int batches = 3;
            float[] a = TestUtil.RandomArray(rng, batches * m * k), b = TestUtil.RandomArray(rng, 2 * k * n);
            int[] aOffsets = { 0, m * k, 2 * m * k };
            int[] bOffsets = { 0, k * n, 0 }; // the last batch reuses b's first matrix (broadcast)
            var y = new float[batches * m * n];
            Gemm.MatMulBatched(a, b, y, m, n, k, aOffsets, bOffsets);
            for (int bi = 0; bi < batches; bi++)
            {
                var (expected, scale) = Reference(a.AsSpan(aOffsets[bi]).ToArray(), b.AsSpan(bOffsets[bi]).ToArray(), Array.Empty<float>(),
                    m, n, k, false, false, 1f, 0f, 0, 0);
                TestUtil.AssertClose(expected, y.AsSpan(bi * m * n, m * n), 1e-4, 1e-6, $"batch {bi} m{m} n{n} k{k}", scale);
            }
        }
    }
}
