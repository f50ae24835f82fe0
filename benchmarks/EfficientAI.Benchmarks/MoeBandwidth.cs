// What bounds the float MoE layer at one token (docs/moe.md, "What bounds the float layer"): the rate one core (and
// two) can read memory, against the bytes per second the layer's expert weights are read at, ours and ONNX Runtime's
// MoE kernel, in the same process. Fastest-of-N loops rather than BenchmarkDotNet: on a shared machine the fastest run
// is the one least disturbed, and the medians are printed beside it.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EfficientAI.Runtime;

namespace EfficientAI.Benchmarks;

internal static unsafe class MoeBandwidth
{
    private const int PrefetchBytes = 2048;

    public static IEnumerable<string> Run(bool layersOnly)
    {
        var lines = new List<string> { $"Load average at the start: {LoadAverage()}", "" };
        if (!layersOnly) lines.AddRange(ReadRates());
        lines.AddRange(Layers());
        lines.Add($"Load average at the end: {LoadAverage()}");
        lines.Add("");
        return lines;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

    private static List<string> ReadRates()
    {
        var lines = new List<string>();
        const long maxBytes = 256L << 20;
        float* buffer = (float*)NativeMemory.AlignedAlloc((nuint)maxBytes, 4096);
        try
        {
            for (long i = 0; i < maxBytes / 4; i++) buffer[i] = i % 7 * 0.25f;
            lines.Add("Read rate, GB/s (a Vector512 sum over the buffer, again and again; fastest of N): `streams` equal parts read side by side,");
            lines.Add($"software prefetch {PrefetchBytes} B ahead of each stream (`prefetcht0`, or `prefetchnta`); `2 cores`: each core reads half with one stream.");
            lines.Add("");
            lines.Add("| buffer | streams | no prefetch | prefetcht0 | prefetchnta |");
            lines.Add("|---:|---:|---:|---:|---:|");
            foreach (long mb in new long[] { 4, 16, 32, 64, 256 })
            {
                long bytes = mb << 20;
                int n = (int)Math.Clamp(maxBytes / bytes * 4, 8, 200);
                foreach (int streams in new[] { 1, 2, 4, 8 })
                {
                    string Rate(int mode) => F(bytes / Fastest(() => Read(buffer, bytes / 4, streams, mode), n) / 1e9);
                    lines.Add($"| {mb} MB | {streams} | {Rate(0)} | {Rate(1)} | {Rate(2)} |");
                }
                double two = TwoCores(buffer, bytes / 4, n);
                lines.Add($"| {mb} MB | 2 cores x 1 | {F(bytes / two / 1e9)} | | |");
            }
            lines.Add("");
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
        return lines;
    }

    private struct ReadJob
    {
        public float* Buffer;
        public long Floats;
        public float Sink;
    }

    private static double TwoCores(float* buffer, long floats, int n)
    {
        var job = new ReadJob { Buffer = buffer, Floats = floats };
        double best = double.MaxValue;
        for (int i = 0; i <= n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Workers.For(2, 2, &ReadHalf, &job);
            if (i > 0) best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }

    private static void ReadHalf(void* state, int index, int participant)
    {
        ref var job = ref *(ReadJob*)state;
        long half = job.Floats / 2;
        job.Sink += Read(job.Buffer + index * half, half, 1, 1);
    }

    private static double Fastest(Action run, int n)
    {
        run();
        double best = double.MaxValue;
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }

    /// <summary>Sums floats [0, floats) read as streams parts side by side; mode 0 no prefetch, 1 prefetcht0, 2 prefetchnta.</summary>
    private static float Read(float* p, long floats, int streams, int mode)
    {
        long per = floats / streams / 64 * 64;
        var a0 = Vector512<float>.Zero;
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        const int ahead = PrefetchBytes / sizeof(float);
        for (long i = 0; i < per; i += 64)
        {
            for (int s = 0; s < streams; s++)
            {
                float* q = p + s * per + i;
                if (mode == 1)
                {
                    Sse.Prefetch0(q + ahead); Sse.Prefetch0(q + ahead + 16); Sse.Prefetch0(q + ahead + 32); Sse.Prefetch0(q + ahead + 48);
                }
                else if (mode == 2)
                {
                    Sse.PrefetchNonTemporal(q + ahead); Sse.PrefetchNonTemporal(q + ahead + 16); Sse.PrefetchNonTemporal(q + ahead + 32); Sse.PrefetchNonTemporal(q + ahead + 48);
                }
                a0 += Vector512.Load(q);
                a1 += Vector512.Load(q + 16);
                a2 += Vector512.Load(q + 32);
                a3 += Vector512.Load(q + 48);
            }
        }
        return Vector512.Sum(a0 + a1 + a2 + a3);
    }

    /// <summary>The layer at one token, E = 4..32: ours with Threads 1 and 2, ORT's MoE kernel with 1 and 2 intra-op threads.</summary>
    private static IEnumerable<string> Layers()
    {
        const int H = MoeLayerBenchmarks.Hidden, I = MoeLayerBenchmarks.Inter, K = MoeLayerBenchmarks.K, N = 300;
        const double bytes = 2.0 * K * H * I * sizeof(float); // fc1 and fc2 of the two chosen experts: 16 MB
        yield return $"The MoE layer at one token (H {H}, I {I}, k {K}: two experts' fc1 and fc2, {bytes / (1 << 20):F0} MB of float weights per call, the same";
        yield return $"experts every call); fastest of {N} calls per engine in four interleaved rounds (the best round shown), median in brackets; GB/s = 16 MB / fastest.";
        yield return "";
        yield return "Routes vary: before every call (both engines) the router logits become the next of 64 random rows, so the chosen";
        yield return "experts change from call to call and their weights come from memory (E = 4: 32 MB of experts in all, E = 32: 268 MB);";
        yield return "its ratio is of the medians (the fastest call there is one whose experts were still cached).";
        yield return "";
        yield return "| E | ours, 1 thread | ORT, 1 thread | ours/ORT | ours, Threads 2 | ORT, 2 threads | ours/ORT | routes vary: ours, 1 thread | ORT, 1 thread | ours/ORT (medians) |";
        yield return "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
        foreach (int e in MoeLayerBenchmarks.ExpertCounts)
        {
            var one = new MoeLayerBenchmarks { E = e, T = 1, Threads = 1 };
            var two = new MoeLayerBenchmarks { E = e, T = 1, Threads = 2 };
            one.Setup(); // packs the experts, checks ours against ORT
            two.Setup();
            var best = new double[6];
            var med = new double[6];
            Array.Fill(best, double.MaxValue);
            var runs = new Action[] { one.Ours, one.Ort, two.Ours, two.Ort, () => { one.NextRoute(); one.Ours(); }, () => { one.NextRoute(); one.Ort(); } };
            for (int round = 0; round < 4; round++)
            {
                for (int r = 0; r < runs.Length; r++)
                {
                    var (b, m) = FastestAndMedian(runs[r], N);
                    if (b < best[r])
                    {
                        best[r] = b;
                        med[r] = m;
                    }
                }
            }
            one.Cleanup();
            two.Cleanup();
            string Cell(int r) => $"{F(best[r] * 1e6)} us, {F(bytes / best[r] / 1e9)} GB/s ({F(med[r] * 1e6)})";
            yield return $"| {e} | {Cell(0)} | {Cell(1)} | {(best[0] / best[1]).ToString("F2", CultureInfo.InvariantCulture)} | {Cell(2)} | {Cell(3)} | {(best[2] / best[3]).ToString("F2", CultureInfo.InvariantCulture)} | {Cell(4)} | {Cell(5)} | {(med[4] / med[5]).ToString("F2", CultureInfo.InvariantCulture)} |";
        }
        yield return "";
    }

    private static (double Best, double Median) FastestAndMedian(Action run, int n)
    {
        for (int i = 0; i < 10; i++) run();
        var t = new double[n];
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            t[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        Array.Sort(t);
        return (t[0], t[n / 2]);
    }
}
