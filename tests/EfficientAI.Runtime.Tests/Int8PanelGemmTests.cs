using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>Int8PanelGemm (the int8 experts' products) against exact integer references on every path the machine has.</summary>
public class Int8PanelGemmTests
{
    // Odd sizes: one row (the four-panel and single-panel paths, a partial last panel), 2-3 rows (repeated rows), 4 and more
    // (a full block and a remainder), depth tails 1-3 past a quad, n below, at and past 64.
    private static readonly (int M, int N, int K)[] Sizes =
    {
        (1, 1, 1), (1, 17, 33), (1, 64, 8), (1, 130, 37), (1, 200, 515), (2, 16, 4), (3, 7, 5), (4, 16, 8), (5, 33, 3),
        (7, 65, 17), (9, 70, 130), (16, 48, 64),
    };

    // The Arm paths run on an arm64 machine's test run and, for this x64 CI, in the NativeAOT arm64 binary under qemu
    // (KernelSelfCheck through samples/AotSample, .ci/aot.sh).
    public static IEnumerable<object[]> Paths() =>
        new[] { Int8Gemm.Path.Scalar, Int8Gemm.Path.Avx2, Int8Gemm.Path.Avx512, Int8Gemm.Path.AvxVnni, Int8Gemm.Path.ArmDot, Int8Gemm.Path.ArmSimd }
            .Select(p => new object[] { (int)p });

    [Theory]
    [MemberData(nameof(Paths))]
    public void MultiplyIsExact(int pathId)
    {
        var path = (Int8Gemm.Path)pathId;
        if (!Int8Gemm.IsSupported(path)) return; // another machine's path
        var rng = new Random(91 + pathId);
        foreach (var (m, n, k) in Sizes)
        {
            bool transposed = (m + n) % 2 == 0;
            int lda = Int8PanelGemm.RowStride(k) + 4 * (m % 2); // a row stride wider than the padded depth
            var a = new byte[(m - 1) * lda + Int8PanelGemm.RowStride(k)];
            rng.NextBytes(a); // the padding bytes past k are random too: they must meet zero weights
            var b = new sbyte[k * n];
            for (int i = 0; i < b.Length; i++) b[i] = (sbyte)rng.Next(-128, 128);
            int aZero = rng.Next(0, 256);
            var packed = new sbyte[Int8PanelGemm.PackedLength(k, n)];
            var colSums = new int[n];
            Int8PanelGemm.PackB(b, transposed, k, n, packed, colSums);
            int ldc = n + 3;
            var c = new int[(m - 1) * ldc + n + 1];
            Array.Fill(c, int.MinValue);
            Int8PanelGemm.Multiply(a, lda, aZero, packed, colSums, c, ldc, m, n, k, path);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    long expected = 0;
                    for (int p = 0; p < k; p++) expected += (long)(a[i * lda + p] - aZero) * (transposed ? b[j * k + p] : b[p * n + j]);
                    Assert.True(expected == c[i * ldc + j], $"{path} m{m} n{n} k{k} [{i},{j}]: {c[i * ldc + j]} != {expected}");
                }
            Assert.Equal(int.MinValue, c[^1]); // nothing written past the last row
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void ExtremeValuesDoNotSaturate(int pathId)
    {
        // QMoE's q - 128 reaches -128: 255 x -128 pairs overflow int16 (vpmaddubsw would saturate); the sums stay exact.
        var path = (Int8Gemm.Path)pathId;
        if (!Int8Gemm.IsSupported(path)) return;
        foreach (int m in new[] { 1, 3 })
        {
            int n = 70, k = 4099, lda = Int8PanelGemm.RowStride(k);
            var a = Enumerable.Repeat((byte)255, m * lda).ToArray();
            var b = Enumerable.Repeat((sbyte)-128, k * n).ToArray();
            var packed = new sbyte[Int8PanelGemm.PackedLength(k, n)];
            var colSums = new int[n];
            Int8PanelGemm.PackB(b, false, k, n, packed, colSums);
            var c = new int[m * n];
            Int8PanelGemm.Multiply(a, lda, 0, packed, colSums, c, n, m, n, k, path);
            Assert.All(c, v => Assert.Equal(255 * -128 * k, v));
        }
    }

    [Fact]
    public void PackedLayoutIsPanelByPanel()
    {
        int k = 6, n = 19;
        var b = Enumerable.Range(0, k * n).Select(i => (sbyte)(i % 251 - 125)).ToArray();
        var packed = new sbyte[Int8PanelGemm.PackedLength(k, n)];
        var sums = new int[n];
        Int8PanelGemm.PackB(b, false, k, n, packed, sums);
        Assert.Equal(8 * 32, packed.Length);
        for (int j = 0; j < 32; j++)
            for (int p = 0; p < 8; p++)
                Assert.Equal(j < n && p < k ? b[p * n + j] : 0, packed[j / 16 * 8 * 16 + p / 4 * 64 + j % 16 * 4 + p % 4]);
        for (int j = 0; j < n; j++) Assert.Equal(Enumerable.Range(0, k).Sum(p => b[p * n + j]), sums[j]);
    }

    [Fact]
    public void MultiplyAllocatesNothing()
    {
        int m = 5, n = 40, k = 33, lda = Int8PanelGemm.RowStride(k);
        var a = new byte[m * lda];
        var packed = new sbyte[Int8PanelGemm.PackedLength(k, n)];
        var sums = new int[n];
        var c = new int[m * n];
        Int8PanelGemm.Multiply(a, lda, 3, packed, sums, c, n, m, n, k);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++) Int8PanelGemm.Multiply(a, lda, 3, packed, sums, c, n, m, n, k);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
