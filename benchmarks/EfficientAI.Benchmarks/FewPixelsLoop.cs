// `few-pixels`: ResNet-18's 7x7-stage Convs taken apart in a plain loop (fastest of N, Stopwatch), not BenchmarkDotNet:
// the weights are rotated through 8 copies (75 MB) so each call reads them cold from memory, as in the model, where
// the other 20 layers' weights pass through the caches between two calls. Beside them: the core's streaming read rate
// (a Vector512 sum over 256 MB) and its FMA peak (a register-only loop), measured in the same process.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EfficientAI.Runtime;

namespace EfficientAI.Benchmarks;

internal static class FewPixelsLoop
{
    private const int Copies = 8;

    public static IEnumerable<string> Run(int runs)
    {
        yield return Invariant($"load average {System.IO.File.ReadAllText("/proc/loadavg").Trim()}");
        double peak = FmaPeak(runs), stream = StreamRead(10);
        yield return Invariant($"FMA peak {peak:F0} GFLOP/s; streaming read {stream:F1} GB/s");
        yield return "";
        yield return "| Conv (7x7 output) | weights | kernel | hot (one copy) | cold (8 copies) | GFLOP/s cold | weights GB/s cold |";
        yield return "|---|---:|---|---:|---:|---:|---:|";
        foreach (var (c, h, stride) in new[] { (512, 7, 1), (256, 14, 2) })
        {
            const int m = 512, pixels = 49;
            int depth = c * 9;
            var rng = new Random(1);
            var x = Random(rng, c * h * h);
            var bias = Random(rng, m);
            var w = Random(rng, m * depth);
            var y = new float[m * pixels];
            var panels = new float[Copies][];
            var streamed = new float[Copies][];
            for (int i = 0; i < Copies; i++)
            {
                panels[i] = new float[Gemm.PackedLength(depth, m)];
                Gemm.PackB(w, panels[i], depth, m, transB: true);
                streamed[i] = new float[Conv.StreamedPackedLength(depth, m)];
                Conv.PackStreamedWeights(w, streamed[i], m, depth);
            }
            var panelScratch = new float[Conv.FewPixelsScratchFloats(c, m, 3, 3, pixels)];
            var streamedScratch = new float[Conv.StreamedScratchFloats(c, m, 3, 3, pixels)];
            double flops = 2.0 * m * depth * pixels, bytes = 4.0 * m * depth;
            foreach (bool isStreamed in new[] { false, true })
            {
                var times = new double[2];
                for (int cold = 0; cold < 2; cold++)
                {
                    double best = double.MaxValue;
                    for (int r = -3; r < runs; r++)
                    {
                        int copy = cold == 1 ? (r + Copies) % Copies : 0;
                        long start = Stopwatch.GetTimestamp();
                        if (isStreamed) Conv.Conv2DFewPixelsStreamed(x, streamed[copy], bias, y, 1, c, h, h, m, 3, 3, 7, 7, stride, stride, 1, 1, 1, 1, streamedScratch, Activation.Relu);
                        else Conv.Conv2DFewPixels(x, panels[copy], bias, y, 1, c, h, h, m, 3, 3, 7, 7, stride, stride, 1, 1, 1, 1, panelScratch, Activation.Relu);
                        if (r >= 0) best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
                    }
                    times[cold] = best;
                }
                yield return Invariant($"| {c}->{m} 3x3 s{stride} | {bytes / 1e6:F1} MB | {(isStreamed ? "Conv2DFewPixelsStreamed" : "Conv2DFewPixels (panels)")} | {times[0] * 1e6:F0} us | {times[1] * 1e6:F0} us | {flops / times[1] / 1e9:F0} | {bytes / times[1] / 1e9:F1} |");
            }
        }
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static float[] Random(Random rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)rng.NextDouble() - 0.5f;
        return a;
    }

    /// <summary>GB/s of a Vector512 (Vector256 without AVX-512) sum over 256 MB, fastest of the runs.</summary>
    private static unsafe double StreamRead(int runs)
    {
        const int n = 64 * 1024 * 1024;
        var buffer = GC.AllocateUninitializedArray<float>(n, pinned: true);
        for (int i = 0; i < n; i++) buffer[i] = i & 7;
        double best = double.MaxValue;
        float sink = 0;
        fixed (float* p = buffer)
        {
            for (int r = 0; r < runs; r++)
            {
                long start = Stopwatch.GetTimestamp();
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (long i = 0; i < n; i += 64)
                {
                    a0 += Vector512.Load(p + i); a1 += Vector512.Load(p + i + 16); a2 += Vector512.Load(p + i + 32); a3 += Vector512.Load(p + i + 48);
                }
                sink += Vector512.Sum(a0 + a1 + a2 + a3);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }
        GC.KeepAlive(sink);
        return 4.0 * n / best / 1e9;
    }

    /// <summary>GFLOP/s of 12 independent FMA chains on 512-bit vectors, fastest of the runs.</summary>
    private static double FmaPeak(int runs)
    {
        if (!Avx512F.IsSupported) return double.NaN;
        const int iterations = 2_000_000;
        double best = double.MaxValue;
        for (int r = 0; r < runs; r++)
        {
            long start = Stopwatch.GetTimestamp();
            var m = Vector512.Create(0.999f);
            var a = Vector512.Create(0.001f);
            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
            Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Avx512F.FusedMultiplyAdd(c0, m, a); c1 = Avx512F.FusedMultiplyAdd(c1, m, a); c2 = Avx512F.FusedMultiplyAdd(c2, m, a);
                c3 = Avx512F.FusedMultiplyAdd(c3, m, a); c4 = Avx512F.FusedMultiplyAdd(c4, m, a); c5 = Avx512F.FusedMultiplyAdd(c5, m, a);
                c6 = Avx512F.FusedMultiplyAdd(c6, m, a); c7 = Avx512F.FusedMultiplyAdd(c7, m, a); c8 = Avx512F.FusedMultiplyAdd(c8, m, a);
                c9 = Avx512F.FusedMultiplyAdd(c9, m, a); c10 = Avx512F.FusedMultiplyAdd(c10, m, a); c11 = Avx512F.FusedMultiplyAdd(c11, m, a);
            }
            if (Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11) == 12345f) Console.WriteLine();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return iterations * 12.0 * 16 * 2 / best / 1e9;
    }
}
