// dotnet run -c Release --project benchmarks/EfficientAI.Benchmarks -- [models|kernels|int8|alloc|moe|moe-layer|moe-bandwidth|qmoe-layer|all|sparse|sparse-conv|sparse-rows|sparse-blocks|few-pixels] [--short] [--models a,b]
// Runs in-process (one process, one run: every side-by-side ratio comes from the same conditions) and prints,
// after BenchmarkDotNet's own tables, the ratio ours/ORT per model with the geometric mean, and GEMM GFLOP/s
// against the measured FMA peak.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using EfficientAI.Benchmarks;

var what = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
bool shortRun = args.Contains("--short");
int modelsAt = Array.IndexOf(args, "--models");
if (modelsAt >= 0 && modelsAt + 1 < args.Length) Environment.SetEnvironmentVariable("EAI_BENCH_MODELS", args[modelsAt + 1]);

var job = (shortRun ? Job.ShortRun : Job.Default).WithToolchain(InProcessEmitToolchain.Instance);
if (!shortRun) job = job.WithIterationCount(15).WithWarmupCount(5);
var config = ManualConfig.Create(DefaultConfig.Instance).AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);

var report = new List<string> { $"# {Machine.Describe()}", "" };
if (what is "models" or "all")
{
    var summary = BenchmarkRunner.Run<ModelBenchmarks>(config);
    report.AddRange(ModelTable(summary));
}
if (what is "kernels" or "all")
{
    var peak = BenchmarkRunner.Run<FmaPeakBenchmarks>(config);
    var gemm = BenchmarkRunner.Run<GemmBenchmarks>(config);
    report.AddRange(KernelTable(peak, gemm));
}
if (what is "sparse" or "sparse-conv" or "sparse-rows" or "sparse-blocks")
{
    // Not part of "all": the pruned-weight crossover (docs/compression.md), ratio sparse/dense per shape and sparsity.
    var sparse = what == "sparse" ? BenchmarkRunner.Run<SparseGemmBenchmarks>(config) : null;
    report.AddRange(SparseTable(sparse, "| m x n x k | sparsity | packed dense | CSR sparse | sparse/dense |", "0.##"));
    var rowsRun = what is "sparse" or "sparse-rows" ? BenchmarkRunner.Run<SparseGemmRowsBenchmarks>(config) : null;
    report.Add("");
    report.AddRange(SparseTable(rowsRun, "| m x n x k | sparsity | packed dense | rows sparse | sparse/dense |", "0.##"));
    var blocksRun = what is "sparse" or "sparse-blocks" ? BenchmarkRunner.Run<BlockSparseGemmBenchmarks>(config) : null;
    report.Add("");
    report.AddRange(SparseTable(blocksRun, "| m x n x k | blocks zeroed (1x16) | packed dense | block sparse | sparse/dense |", "0.###"));
    var conv = what is "sparse" or "sparse-conv" ? BenchmarkRunner.Run<SparseConvBenchmarks>(config) : null;
    report.Add("");
    report.AddRange(SparseTable(conv, "| Conv 3x3 c x h x w -> m | sparsity | im2col + packed | im2col + sparse | sparse/dense |", "0.##"));
}
if (what is "alloc")
{
    // Bytes allocated on the calling thread per call after warm-up, for every model case and its int8 copy.
    foreach (var c in ModelCases.All.Concat(Int8Cases.All.Select(p => p.Int8)))
    {
        var outputs = Array.ConvertAll(c.OutputLengths, n => new float[n]);
        var run = c.Bind(c.Inputs.Where(i => !i.Bound).Select(i => i.Data).ToArray(), outputs);
        for (int n = 0; n < 30; n++) run();
        System.Threading.Thread.Sleep(200);
        for (int n = 0; n < 30; n++) run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int n = 0; n < 20; n++) run();
        report.Add($"{c.Name}: {(GC.GetAllocatedBytesForCurrentThread() - before) / 20} B per call");
    }
}
if (what is "int8")
{
    // Not part of "all": int8 against our own float (issue target: at least 2x on Conv/Gemm-heavy models).
    var summary = BenchmarkRunner.Run<Int8Benchmarks>(config);
    report.Add("| model | EfficientAI float | EfficientAI int8 | int8/float | allocated/op (int8) |");
    report.Add("|---|---:|---:|---:|---:|");
    foreach (var group in summary.Reports.Where(r => r.ResultStatistics is not null).GroupBy(r => (string)r.BenchmarkCase.Parameters["Model"]))
    {
        var f = group.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == "Float");
        var q = group.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == "Int8");
        if (f is null || q is null) continue;
        report.Add(string.Create(CultureInfo.InvariantCulture,
            $"| {group.Key} | {Us(MedianUs(f))} | {Us(MedianUs(q))} | {MedianUs(q) / MedianUs(f):F2} | {q.GcStats.GetBytesAllocatedPerOperation(q.BenchmarkCase) ?? -1} B |"));
    }
    report.Add("");
}
if (what is "moe")
{
    var summary = BenchmarkRunner.Run<MoeBenchmarks>(config);
    report.AddRange(MoeTable(summary));
}
if (what is "moe-layer")
{
    var layer = BenchmarkRunner.Run<MoeLayerBenchmarks>(config);
    var exports = BenchmarkRunner.Run<MoeExportBenchmarks>(config);
    report.AddRange(MoeLayerTable(layer, exports));
}
if (what is "moe-bandwidth")
{
    // Not BenchmarkDotNet: fastest-of-N loops (the machine is shared), the read rates beside the MoE layer's.
    report.AddRange(MoeBandwidth.Run(args.Contains("--layers-only")));
}
if (what is "qmoe-layer")
{
    var summary = BenchmarkRunner.Run<QMoeLayerBenchmarks>(config);
    report.AddRange(QMoeLayerTable(summary));
}
if (what is "few-pixels")
{
    // Not part of "all" and not BenchmarkDotNet: ResNet-18's 7x7-stage Convs, fastest of 30 with cold weights (FewPixelsLoop).
    report.AddRange(FewPixelsLoop.Run(shortRun ? 10 : 30));
}
var text = string.Join(Environment.NewLine, report);
Console.WriteLine(text);
Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
File.WriteAllText(Path.Combine("BenchmarkDotNet.Artifacts", $"eai-{what}.md"), text + Environment.NewLine);

static double MedianUs(BenchmarkReport r) => r.ResultStatistics!.Median / 1000.0;

// One row per (Shape, Sparsity): the Dense and Sparse methods' medians and their ratio; a run not made gives the header only.
static IEnumerable<string> SparseTable(Summary? run, string header, string sparsityFormat)
{
    yield return header;
    yield return "|---|---:|---:|---:|---:|";
    foreach (var group in (run is null ? Array.Empty<BenchmarkReport>() : run.Reports.ToArray()).Where(r => r.ResultStatistics is not null)
                 .GroupBy(r => ((string)r.BenchmarkCase.Parameters["Shape"], (double)r.BenchmarkCase.Parameters["Sparsity"])))
    {
        var dense = group.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == "Dense");
        var sparse = group.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == "Sparse");
        if (dense is null || sparse is null) continue;
        yield return string.Create(CultureInfo.InvariantCulture,
            $"| {group.Key.Item1} | {group.Key.Item2.ToString(sparsityFormat, CultureInfo.InvariantCulture)} | {Us(MedianUs(dense))} | {Us(MedianUs(sparse))} | {MedianUs(sparse) / MedianUs(dense):F2} |");
    }
}


static string Us(double us) => us >= 1000 ? (us / 1000).ToString("F2", CultureInfo.InvariantCulture) + " ms" : us.ToString("F1", CultureInfo.InvariantCulture) + " us";

static IEnumerable<string> ModelTable(Summary summary)
{
    yield return "| model | EfficientAI | ORT 1 thread | ORT 2 threads | ours/ORT1 | ours/ORT2 | allocated/op (ours, ORT1) |";
    yield return "|---|---:|---:|---:|---:|---:|---|";
    var ratios1 = new List<double>();
    var ratios2 = new List<double>();
    foreach (var group in summary.Reports.Where(r => r.ResultStatistics is not null).GroupBy(r => (string)r.BenchmarkCase.Parameters["Model"]))
    {
        BenchmarkReport? Get(string method) => group.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method);
        var ours = Get("Ours");
        var o1 = Get("Ort1");
        var o2 = Get("Ort2");
        if (ours is null || o1 is null || o2 is null) continue;
        double r1 = MedianUs(ours) / MedianUs(o1), r2 = MedianUs(ours) / MedianUs(o2);
        ratios1.Add(r1);
        ratios2.Add(r2);
        long Alloc(BenchmarkReport r) => r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase) ?? -1;
        yield return $"| {group.Key} | {Us(MedianUs(ours))} | {Us(MedianUs(o1))} | {Us(MedianUs(o2))} | {r1:F2} | {r2:F2} | {Alloc(ours)} B, {Alloc(o1)} B |";
    }
    if (ratios1.Count > 0)
        yield return $"| **geometric mean** | | | | **{Geo(ratios1):F2}** | **{Geo(ratios2):F2}** | |";
    yield return "";
    yield return "Median latency per inference; ratio < 1 means EfficientAI is faster.";
    yield return "";
}

static IEnumerable<string> MoeTable(Summary summary)
{
    string[] methods = { "OursContrib", "OursDense", "OursSparse", "OrtContrib", "OrtDense", "OrtSparse" };
    yield return "| E (k = 2, 1 token, H 128, I 256) | EfficientAI, MoE graph | EfficientAI, dense export | EfficientAI, sparse export | ORT, MoE kernel | ORT, dense export | ORT, sparse export | ours (MoE graph) / ORT MoE kernel |";
    yield return "|---:|---:|---:|---:|---:|---:|---:|---:|";
    var median = new Dictionary<(int, string), double>();
    foreach (var r in summary.Reports.Where(r => r.ResultStatistics is not null))
        median[((int)r.BenchmarkCase.Parameters["E"], r.BenchmarkCase.Descriptor.WorkloadMethod.Name)] = MedianUs(r);
    var es = median.Keys.Select(k => k.Item1).Distinct().OrderBy(e => e).ToList();
    string Cell(int e, string m) => median.TryGetValue((e, m), out var v) ? Us(v) : "";
    foreach (var e in es)
    {
        string ratio = median.TryGetValue((e, "OursContrib"), out var o) && median.TryGetValue((e, "OrtContrib"), out var r) ? (o / r).ToString("F2", CultureInfo.InvariantCulture) : "";
        yield return $"| {e} | {string.Join(" | ", methods.Select(m => Cell(e, m)))} | {ratio} |";
    }
    if (es.Count > 1)
    {
        string Growth(string m) => median.TryGetValue((es[0], m), out var a) && median.TryGetValue((es[^1], m), out var b) ? (b / a).ToString("F2", CultureInfo.InvariantCulture) + "x" : "";
        yield return $"| growth E={es[0]} -> {es[^1]} | {string.Join(" | ", methods.Select(Growth))} | |";
    }
    yield return "";
    yield return "Median latency per inference (router MatMul, MoE layer, head Gemm); ORT with 1 intra-op thread, all graph optimizations.";
    yield return "";
}

// Per E and token count: ours (int8 experts), ORT's QMoE and ORT's float MoE medians, and ours over each.
static IEnumerable<string> QMoeLayerTable(Summary run)
{
    var median = new Dictionary<(int E, int T, string Method), double>();
    foreach (var r in run.Reports.Where(r => r.ResultStatistics is not null))
        median[((int)r.BenchmarkCase.Parameters["E"], (int)r.BenchmarkCase.Parameters["T"], r.BenchmarkCase.Descriptor.WorkloadMethod.Name)] = MedianUs(r);
    string Cell(int e, int t, string m) => median.TryGetValue((e, t, m), out var v) ? Us(v) : "";
    string Ratio(int e, int t, string m) => median.TryGetValue((e, t, "Ours"), out var o) && median.TryGetValue((e, t, m), out var r) ? (o / r).ToString("F2", CultureInfo.InvariantCulture) : "";
    yield return "| E (k = 2, H 512, I 2048) | tokens | ours, int8 experts | ORT QMoE 8-bit | ORT MoE float | ours/ORT QMoE | ours/ORT MoE |";
    yield return "|---:|---:|---:|---:|---:|---:|---:|";
    foreach (var (e, t) in median.Keys.Select(k => (k.E, k.T)).Distinct().OrderBy(k => k.T).ThenBy(k => k.E))
        yield return $"| {e} | {t} | {Cell(e, t, "Ours")} | {Cell(e, t, "OrtQMoe")} | {Cell(e, t, "OrtMoe")} | {Ratio(e, t, "OrtQMoe")} | {Ratio(e, t, "OrtMoe")} |";
    yield return "";
}

static IEnumerable<string> MoeLayerTable(Summary layer, Summary exports)
{
    var median = new Dictionary<(int E, int T, int Threads, string Method), double>();
    foreach (var r in layer.Reports.Where(r => r.ResultStatistics is not null))
        median[((int)r.BenchmarkCase.Parameters["E"], (int)r.BenchmarkCase.Parameters["T"], (int)r.BenchmarkCase.Parameters["Threads"], r.BenchmarkCase.Descriptor.WorkloadMethod.Name)] = MedianUs(r);
    var ts = median.Keys.Select(k => k.T).Distinct().OrderBy(t => t).ToList();
    var es = median.Keys.Select(k => k.E).Distinct().OrderBy(e => e).ToList();
    foreach (var th in median.Keys.Select(k => k.Threads).Distinct().OrderBy(t => t))
    {
        string Cell(int e, int t, string m) => median.TryGetValue((e, t, th, m), out var v) ? Us(v) : "";
        string Ratio(int e, int t) => median.TryGetValue((e, t, th, "Ours"), out var o) && median.TryGetValue((e, t, th, "Ort"), out var r) ? (o / r).ToString("F2", CultureInfo.InvariantCulture) : "";
        yield return $"Threads {th} (ours Threads=\"{th}\", ORT {th} intra-op thread{(th > 1 ? "s" : "")}):";
        yield return "";
        yield return "| E (k = 2, H 512, I 2048) | " + string.Join(" | ", ts.Select(t => $"ours, {t} tok | ORT MoE kernel, {t} tok | ours/ORT")) + " |";
        yield return "|---:|" + string.Concat(ts.Select(_ => "---:|---:|---:|"));
        foreach (var e in es) yield return $"| {e} | " + string.Join(" | ", ts.Select(t => $"{Cell(e, t, "Ours")} | {Cell(e, t, "Ort")} | {Ratio(e, t)}")) + " |";
        if (es.Count > 1)
        {
            string Growth(int t, string m) => median.TryGetValue((es[0], t, th, m), out var a) && median.TryGetValue((es[^1], t, th, m), out var b) ? (b / a).ToString("F2", CultureInfo.InvariantCulture) + "x" : "";
            yield return $"| growth E={es[0]} -> {es[^1]} | " + string.Join(" | ", ts.Select(t => $"{Growth(t, "Ours")} | {Growth(t, "Ort")} | ")) + " |";
        }
        yield return "";
    }
    yield return "Median latency of the MoE layer alone (router logits given); ORT with all graph optimizations, IoBinding.";
    yield return "";
    string Ours1(int t) => median.TryGetValue((8, t, 1, "Ours"), out var v) ? Us(v) : "";
    var ex = exports.Reports.Where(r => r.ResultStatistics is not null)
        .ToDictionary(r => ((int)r.BenchmarkCase.Parameters["T"], r.BenchmarkCase.Descriptor.WorkloadMethod.Name), MedianUs);
    yield return "| E = 8, whole model (router, MoE, head) | ORT, MoE kernel | ORT, dense export | ORT, sparse export | ours, MoE layer only (above) |";
    yield return "|---:|---:|---:|---:|---:|";
    foreach (var t in ex.Keys.Select(k => k.Item1).Distinct().OrderBy(t => t))
    {
        string C(string m) => ex.TryGetValue((t, m), out var v) ? Us(v) : "";
        yield return $"| {t} tokens | {C("OrtContrib")} | {C("OrtDense")} | {C("OrtSparse")} | {Ours1(t)} |";
    }
    yield return "";
}

static double Geo(List<double> xs) => Math.Exp(xs.Average(Math.Log));

static IEnumerable<string> KernelTable(Summary peak, Summary gemm)
{
    double Gflops(BenchmarkReport r, double flops) => flops / r.ResultStatistics!.Median;
    const double peakFlops = 2.0 * FmaPeakBenchmarks.Chains;
    var p512 = peak.Reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == "Fma512" && r.ResultStatistics is not null);
    var p256 = peak.Reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == "Fma256" && r.ResultStatistics is not null);
    double peak512 = p512 is null ? double.NaN : Gflops(p512, peakFlops * 16);
    double peak256 = p256 is null ? double.NaN : Gflops(p256, peakFlops * 8);
    yield return $"Single-core FMA peak (register-only loop): Vector512 {peak512:F1} GFLOP/s, Vector256 {peak256:F1} GFLOP/s.";
    var vnni = peak.Reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == "Vnni256" && r.ResultStatistics is not null);
    if (vnni is not null)
    {
        // 8 lanes x 4 multiply-adds per instruction; the ratio is the most int8 can gain over float on compute-bound layers.
        double gmacs = FmaPeakBenchmarks.Chains * 32.0 / vnni.ResultStatistics!.Median, fmaGmacs = peak512 / 2;
        yield return $"Int8 peak (AVX-VNNI 256-bit, register-only loop): {gmacs:F1} GMAC/s, {gmacs / fmaGmacs:F2}x the Vector512 FMA multiply-adds.";
    }
    var maddwd = peak.Reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == "MaddWd512" && r.ResultStatistics is not null);
    if (maddwd is not null)
    {
        double gmacs = FmaPeakBenchmarks.Chains * 32.0 / maddwd.ResultStatistics!.Median;
        yield return $"Int16 pairs (AVX-512BW vpmaddwd + vpaddd, register-only loop): {gmacs:F1} GMAC/s, {gmacs / (peak512 / 2):F2}x the Vector512 FMA multiply-adds.";
    }
    yield return "";
    yield return "| m x n x k | Gemm.Compute GFLOP/s | % of peak | Gemm.ComputePacked GFLOP/s | % of peak |";
    yield return "|---|---:|---:|---:|---:|";
    double best = double.IsNaN(peak512) ? peak256 : peak512;
    foreach (var group in gemm.Reports.Where(r => r.ResultStatistics is not null).GroupBy(r => (string)r.BenchmarkCase.Parameters["Shape"]))
    {
        var (m, n, k) = GemmBenchmarks.Parse(group.Key);
        double flops = 2.0 * m * n * k;
        string Cell(string method)
        {
            var r = group.FirstOrDefault(x => x.BenchmarkCase.Descriptor.WorkloadMethod.Name == method);
            return r is null ? "| |" : $"{Gflops(r, flops):F1} | {100 * Gflops(r, flops) / best:F0}%";
        }
        yield return $"| {group.Key} | {Cell("Compute")} | {Cell("Packed")} |";
    }
    yield return "";
}

internal static class Machine
{
    public static string Describe()
    {
        string cpu = "unknown CPU";
        string isa = "";
        try
        {
            var lines = File.ReadAllLines("/proc/cpuinfo");
            cpu = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
            var flags = lines.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? Array.Empty<string>();
            isa = string.Join(" ", new[] { "avx2", "fma", "avx512f", "avx512vl", "avx512_vnni", "avx512_bf16", "avx_vnni" }.Where(flags.Contains));
        }
        catch (IOException) { }
        return $"{cpu}, {Environment.ProcessorCount} logical cores, {isa}; .NET {Environment.Version}";
    }
}
