// A self-check of the kernels whose code differs by instruction set, for machines the test suite does not run on: an Arm
// board, or a NativeAOT binary cross-compiled for linux-arm64 and run under qemu (.ci/aot.sh runs it through
// samples/AotSample and fails on any mismatch). Every int8 product path the machine has (Int8PanelGemm, Int8Gemm) is
// compared with a plain integer reference on random odd sizes and on the extreme values (all-255 activations against
// all -128 weights), and the float vector primitives (Simd128/256/512) with scalar arithmetic. Integer results must be
// exact; nothing here measures speed.
#pragma warning disable CA2252
using System;
using System.IO;
using System.Runtime.Intrinsics;

namespace EfficientAI.Runtime;

/// <summary>Checks the vectorized kernels on this machine against plain references (for boards and NativeAOT builds).</summary>
public static class KernelSelfCheck
{
    private static readonly Int8Gemm.Path[] AllPaths =
    {
        Int8Gemm.Path.Scalar, Int8Gemm.Path.Avx2, Int8Gemm.Path.Avx512, Int8Gemm.Path.AvxVnni, Int8Gemm.Path.ArmDot, Int8Gemm.Path.ArmSimd,
    };

    // Odd sizes: one row (four panels side by side, single panels, a partial last panel), 2-3 rows, 4 and more (a full
    // block and a remainder), depth tails 1-3 past a quad, n below, at and past 64.
    private static readonly (int M, int N, int K)[] Sizes =
    {
        (1, 1, 1), (1, 17, 33), (1, 64, 8), (1, 130, 37), (1, 200, 515), (2, 16, 4), (3, 7, 5), (4, 16, 8), (5, 33, 3),
        (7, 65, 17), (9, 70, 130), (16, 48, 64),
    };

    /// <summary>
    /// Runs every check on every path this machine supports, writes one line per kernel and path to log (the paths
    /// chosen by default first), and returns the number of mismatches: 0 when every result is right.
    /// </summary>
    public static int Run(TextWriter log) => Run(log, injectFault: false);

    /// <summary>As <see cref="Run(TextWriter)"/>; injectFault corrupts one result of every check (tests prove it is caught).</summary>
    internal static int Run(TextWriter log, bool injectFault)
    {
        log.WriteLine($"kernel-check: default int8 paths: Int8PanelGemm {Int8PanelGemm.Best}, Int8Gemm {Int8Gemm.Best}; "
            + $"Vector128 {Vector128.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector512 {Vector512.IsHardwareAccelerated}");
        int failures = 0;
        foreach (var path in AllPaths)
        {
            if (!Int8Gemm.IsSupported(path)) continue;
            failures += Report(log, $"Int8PanelGemm {path}", PanelGemm(path, injectFault));
            failures += Report(log, $"Int8Gemm {path}", Gemm(path, injectFault));
        }
        if (Simd128.IsSupported) failures += Report(log, "Simd128", Simd<Simd128, Vector128<float>>(injectFault));
        if (Simd256.IsSupported) failures += Report(log, "Simd256", Simd<Simd256, Vector256<float>>(injectFault));
        if (Simd512.IsSupported) failures += Report(log, "Simd512", Simd<Simd512, Vector512<float>>(injectFault));
        log.WriteLine(failures == 0 ? "kernel-check: all exact" : $"kernel-check: FAILED, {failures} mismatches");
        return failures;
    }

    private static int Report(TextWriter log, string name, (int Cases, int Failures, string? First) result)
    {
        log.WriteLine(result.Failures == 0
            ? $"kernel-check: {name}: {result.Cases} cases exact"
            : $"kernel-check: {name}: {result.Failures} of {result.Cases} cases WRONG, first: {result.First}");
        return result.Failures;
    }

    private static (int, int, string?) PanelGemm(Int8Gemm.Path path, bool injectFault)
    {
        var rng = new Random(91);
        int cases = 0, failures = 0;
        string? first = null;
        foreach (var (m, n, k) in Sizes)
        {
            bool transposed = (m + n) % 2 == 0;
            int lda = Int8PanelGemm.RowStride(k) + 4 * (m % 2);
            var a = new byte[(m - 1) * lda + Int8PanelGemm.RowStride(k)];
            rng.NextBytes(a); // the padding bytes past k too: they must meet zero weights
            var b = new sbyte[k * n];
            for (int i = 0; i < b.Length; i++) b[i] = (sbyte)rng.Next(-128, 128);
            int aZero = rng.Next(0, 256);
            Check(a, lda, aZero, b, transposed, m, n, k);
        }
        foreach (int m in new[] { 1, 3 })
        {
            // QMoE's q - 128 reaches -128: all-255 activations against all -128 weights, a deep product.
            int n = 70, k = 4099, lda = Int8PanelGemm.RowStride(k);
            var a = new byte[m * lda];
            a.AsSpan().Fill(255);
            var b = new sbyte[k * n];
            b.AsSpan().Fill(-128);
            Check(a, lda, 0, b, false, m, n, k);
        }
        return (cases, failures, first);

        void Check(byte[] a, int lda, int aZero, sbyte[] b, bool transposed, int m, int n, int k)
        {
            var packed = new sbyte[Int8PanelGemm.PackedLength(k, n)];
            var colSums = new int[n];
            Int8PanelGemm.PackB(b, transposed, k, n, packed, colSums);
            int ldc = n + 3;
            var c = new int[(m - 1) * ldc + n + 1];
            c.AsSpan().Fill(int.MinValue);
            Int8PanelGemm.Multiply(a, lda, aZero, packed, colSums, c, ldc, m, n, k, path);
            if (injectFault) c[0]++;
            cases++;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    long expected = 0;
                    for (int p = 0; p < k; p++) expected += (long)(a[i * lda + p] - aZero) * (transposed ? b[j * k + p] : b[p * n + j]);
                    if (expected == c[i * ldc + j] && c[^1] == int.MinValue) continue;
                    failures++;
                    first ??= $"m {m} n {n} k {k} [{i},{j}]: {c[i * ldc + j]}, expected {expected}" + (c[^1] == int.MinValue ? "" : "; wrote past the last row");
                    return;
                }
        }
    }

    private static (int, int, string?) Gemm(Int8Gemm.Path path, bool injectFault)
    {
        var rng = new Random(17);
        int cases = 0, failures = 0;
        string? first = null;
        foreach (var (m, n, k) in Sizes)
            foreach (bool aSigned in new[] { false, true })
            {
                bool perColumn = (m + k) % 2 == 1;
                int lda = k + m % 3;
                var a = new byte[(m - 1) * lda + k];
                rng.NextBytes(a);
                var b = new sbyte[k * n];
                for (int i = 0; i < b.Length; i++) b[i] = (sbyte)rng.Next(-128, 128);
                int aZero = aSigned ? rng.Next(-128, 128) : rng.Next(0, 256);
                var bZeros = new int[perColumn ? n : 1];
                for (int j = 0; j < bZeros.Length; j++) bZeros[j] = rng.Next(-20, 21);
                var packed = new sbyte[Int8Gemm.PackedLength(k, n)];
                var colSums = new int[n];
                Int8Gemm.PackB(b, false, k, n, packed, colSums);
                var c = new int[m * n];
                Int8Gemm.Multiply(a, lda, aSigned, aZero, packed, colSums, bZeros, c, n, m, n, k, path);
                if (injectFault) c[^1]--;
                cases++;
                for (int i = 0, bad = 0; i < m && bad == 0; i++)
                    for (int j = 0; j < n; j++)
                    {
                        long expected = 0;
                        for (int p = 0; p < k; p++)
                        {
                            int av = aSigned ? (sbyte)a[i * lda + p] : a[i * lda + p];
                            expected += (long)(av - aZero) * (b[p * n + j] - bZeros[perColumn ? j : 0]);
                        }
                        if (expected == c[i * n + j]) continue;
                        failures++;
                        bad = 1;
                        first ??= $"m {m} n {n} k {k} {(aSigned ? "int8" : "uint8")} a [{i},{j}]: {c[i * n + j]}, expected {expected}";
                        break;
                    }
            }
        return (cases, failures, first);
    }

    // The float primitives the blocked Conv kernels are written in: Add/Sub/Max/Min exact, Fma equal to the fused or
    // the unfused scalar result (fused where the hardware can), Sum within float rounding of the double sum.
    private static unsafe (int, int, string?) Simd<TSimd, TVec>(bool injectFault) where TSimd : ISimd<TVec> where TVec : struct
    {
        var rng = new Random(5);
        int count = TSimd.Count, cases = 0, failures = 0;
        string? first = null;
        float[] x = new float[16], y = new float[16], z = new float[16], r = new float[16];
        for (int t = 0; t < 64; t++)
        {
            for (int i = 0; i < count; i++)
            {
                x[i] = (float)(rng.NextDouble() * 200 - 100);
                y[i] = (float)(rng.NextDouble() * 2 - 1);
                z[i] = (float)(rng.NextDouble() * 20 - 10);
            }
            TVec vx, vy, vz;
            fixed (float* px = x, py = y, pz = z) { vx = TSimd.Load(px); vy = TSimd.Load(py); vz = TSimd.Load(pz); }
            Lanes("Fma", TSimd.Fma(vx, vy, vz), i => MathF.FusedMultiplyAdd(x[i], y[i], z[i]), i => x[i] * y[i] + z[i]);
            Lanes("Add", TSimd.Add(vx, vz), i => x[i] + z[i], null);
            Lanes("Sub", TSimd.Sub(vx, vz), i => x[i] - z[i], null);
            Lanes("Max", TSimd.Max(vx, vz), i => MathF.Max(x[i], z[i]), null);
            Lanes("Min", TSimd.Min(vx, vz), i => MathF.Min(x[i], z[i]), null);
            Lanes("Splat", TSimd.Splat(x[0]), _ => x[0], null);
            double sum = 0, magnitude = 0;
            for (int i = 0; i < count; i++) { sum += x[i]; magnitude += Math.Abs(x[i]); }
            float got = TSimd.Sum(vx) + (injectFault ? 1 : 0);
            cases++;
            if (Math.Abs(got - sum) > 4e-6 * magnitude)
            {
                failures++;
                first ??= $"Sum: {got}, expected {sum}";
            }
        }
        return (cases, failures, first);

        void Lanes(string op, TVec v, Func<int, float> expected, Func<int, float>? alternative)
        {
            fixed (float* pr = r) TSimd.Store(pr, v);
            if (injectFault) r[count - 1] = -r[count - 1] - 1;
            cases++;
            for (int i = 0; i < count; i++)
            {
                float e = expected(i);
                if (r[i].Equals(e) || (alternative != null && r[i].Equals(alternative(i)))) continue;
                failures++;
                first ??= $"{op} lane {i}: {r[i]:R}, expected {e:R}";
                return;
            }
        }
    }
}
