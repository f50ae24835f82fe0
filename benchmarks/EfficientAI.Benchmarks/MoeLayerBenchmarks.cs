// Mixture of experts at the issue's size (H = 512, I = 2048, k = 2): the MoE layer alone, latency against the number of
// experts E and the number of tokens. Ours is Runtime.MixtureOfExperts.Compute, the one call the generated code makes
// for an MoE node (weights packed as the generator packs them); ORT runs the same layer as a com.microsoft::MoE graph
// with as many intra-op threads as ours gets (Threads: 1 and 2). Both get the router logits as an input. The layers are untrained, made by
// `models/make_moe.py --layer .cache/moe-layer --hidden 512 --inter 2048` (E = 32 is 268 MB of float weights: read at
// run time from the .bin beside each .onnx, not compiled in, because the compiler needs about ten minutes per 45 MB
// of embedded weights). MoeExportBenchmarks runs ORT on PyTorch's exports of the whole model at E = 8.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using EfficientAI.Runtime;

namespace EfficientAI.Benchmarks;

[MemoryDiagnoser]
public class MoeLayerBenchmarks
{
    public const int Hidden = 512, Inter = 2048, K = 2;

    public static IEnumerable<int> ExpertCounts => new[] { 4, 8, 16, 32 };
    public static IEnumerable<int> TokenCounts => Tokens();

    /// <summary>1, 16 and 64 tokens, or the comma-separated list in EAI_MOE_TOKENS (e.g. "1" for a quick one-token run).</summary>
    internal static int[] Tokens() => Environment.GetEnvironmentVariable("EAI_MOE_TOKENS") is { Length: > 0 } list
        ? list.Split(',').Select(t => int.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
        : new[] { 1, 16, 64 };

    [ParamsSource(nameof(ExpertCounts))]
    public int E { get; set; }

    [ParamsSource(nameof(TokenCounts))]
    public int T { get; set; }

    /// <summary>1 and 2, or the comma-separated list in EAI_MOE_THREADS: ours with Threads = this, ORT with as many intra-op threads.</summary>
    public static IEnumerable<int> ThreadCounts => Environment.GetEnvironmentVariable("EAI_MOE_THREADS") is { Length: > 0 } list
        ? list.Split(',').Select(t => int.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
        : new[] { 1, 2 };

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    private float[] _x = null!, _logits = null!, _fc1 = null!, _b1 = null!, _fc2 = null!, _b2 = null!, _y = null!, _scratch = null!;
    private OrtRunner _ort = null!;

    internal static string LayerDir => Path.Combine(
        typeof(MoeLayerBenchmarks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!, ".cache", "moe-layer");

    internal static string Stem(int e) => Path.Combine(LayerDir, $"moe_layer_h{Hidden}_i{Inter}_e{e}");

    [GlobalSetup]
    public void Setup()
    {
        var bin = Stem(E) + ".bin";
        if (!File.Exists(bin))
            throw new InvalidOperationException($"{bin} is missing: run /usr/bin/python3 models/make_moe.py --layer .cache/moe-layer --hidden {Hidden} --inter {Inter}");
        // fc1 [E, I, H], fc1 bias [E, I], fc2 [E, H, I], fc2 bias [E, H], raw float32.
        var all = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(bin)).ToArray();
        int w = E * Inter * Hidden;
        if (all.Length != 2 * w + E * Inter + E * Hidden) throw new InvalidOperationException($"{bin}: {all.Length} floats, expected {2 * w + E * (Inter + Hidden)}");
        var w1 = all.AsSpan(0, w);
        _b1 = all.AsSpan(w, E * Inter).ToArray();
        var w2 = all.AsSpan(w + E * Inter, w);
        _b2 = all.AsSpan(2 * w + E * Inter, E * Hidden).ToArray();
        // Packed per expert as the generator does (MoEOp.PackExperts): the right operand of x * W^T.
        int p1 = Gemm.PackedLength(Hidden, Inter), p2 = Gemm.PackedLength(Inter, Hidden);
        _fc1 = new float[E * p1];
        _fc2 = new float[E * p2];
        for (int e = 0; e < E; e++)
        {
            Gemm.PackB(w1.Slice(e * Inter * Hidden, Inter * Hidden), _fc1.AsSpan(e * p1, p1), Hidden, Inter, transB: true);
            Gemm.PackB(w2.Slice(e * Hidden * Inter, Hidden * Inter), _fc2.AsSpan(e * p2, p2), Inter, Hidden, transB: true);
        }
        _x = ModelCases.Uniform(T * Hidden, 11, -1f, 1f);
        _logits = ModelCases.Uniform(T * E, 12, -2f, 2f);
        _y = new float[T * Hidden];
        _scratch = new float[MixtureOfExperts.ScratchFloats(T, E, K, Hidden, Inter)];
        var inputs = new[] { new ModelInput("input", _x, new long[] { T, Hidden }), new ModelInput("router_logits", _logits, new long[] { T, E }) };
        _ort = new OrtRunner(new ModelCase($"moe_layer_e{E}_t{T}", Stem(E) + ".onnx", inputs, new[] { T * Hidden }, (_, _) => () => { }), Threads);
        Ours();
        _ort.Run();
        Agreement.Check($"moe_layer_e{E}_t{T}", _ort.Outputs, new[] { _y });
    }

    [GlobalCleanup]
    public void Cleanup() => _ort.Dispose();

    private float[]? _routes;
    private int _route;

    /// <summary>
    /// Writes the next of 64 random router-logit rows into the bound logits (both engines read that array), so
    /// consecutive calls choose other experts and their weights come from memory rather than the cache: a stream of
    /// tokens, not one token again and again.
    /// </summary>
    public void NextRoute()
    {
        const int Routes = 64;
        _routes ??= ModelCases.Uniform(Routes * T * E, 13, -2f, 2f);
        _routes.AsSpan(_route * T * E, T * E).CopyTo(_logits);
        _route = (_route + 1) % Routes;
    }

    [Benchmark(Description = "EfficientAI, MoE layer")]
    public void Ours() => MixtureOfExperts.Compute(_x, _logits, _fc1, _b1, _fc2, _b2, _y, _scratch, T, E, K, Hidden, Inter, ExpertActivation.Relu, normalize: true, threads: Threads);

    [Benchmark(Baseline = true, Description = "ORT, MoE kernel")]
    public void Ort() => _ort.Run();
}

/// <summary>
/// ONNX Runtime (1 thread) on the whole E = 8 model (router MatMul, MoE layer, head Gemm) in its three forms, made by
/// `models/make_moe.py --bench .cache/moe-bench-512 --hidden 512 --inter 2048 --experts 8`: the contrib MoE op, and
/// PyTorch's dense masked and sparse traced exports, which ORT runs as written (every expert, or NonZero/Gather/Scatter
/// per expert). Ours on all three is the MoE layer of MoeLayerBenchmarks plus the router and head GEMVs: the recognition
/// pass rewrites both exports into the same MoE node (tested on small models).
/// </summary>
[MemoryDiagnoser]
public class MoeExportBenchmarks
{
    public static IEnumerable<int> TokenCounts => MoeLayerBenchmarks.Tokens();

    [ParamsSource(nameof(TokenCounts))]
    public int T { get; set; }

    private OrtRunner _contrib = null!, _dense = null!, _sparse = null!;

    private static string File8(string form) => Path.Combine(Path.GetDirectoryName(MoeLayerBenchmarks.LayerDir)!, "moe-bench-512", $"moe_bench_e8_{form}.onnx");

    [GlobalSetup]
    public void Setup()
    {
        if (!File.Exists(File8("sparse")))
            throw new InvalidOperationException($"{File8("sparse")} is missing: run /usr/bin/python3 models/make_moe.py --bench .cache/moe-bench-512 --hidden 512 --inter 2048 --experts 8");
        var x = ModelCases.Uniform(T * MoeLayerBenchmarks.Hidden, 11, -1f, 1f);
        var input = new[] { new ModelInput("input", x, new long[] { T, MoeLayerBenchmarks.Hidden }) };
        OrtRunner Runner(string form) => new(new ModelCase($"moe_e8_{form}_t{T}", File8(form), input, new[] { T * 10 }, (_, _) => () => { }), 1);
        _contrib = Runner("contrib");
        _dense = Runner("dense");
        _sparse = Runner("sparse");
        _contrib.Run();
        _dense.Run();
        _sparse.Run();
        // The three forms compute the same function.
        Agreement.Check($"moe_e8_dense_t{T}", _contrib.Outputs, _dense.Outputs);
        Agreement.Check($"moe_e8_sparse_t{T}", _contrib.Outputs, _sparse.Outputs);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _contrib.Dispose();
        _dense.Dispose();
        _sparse.Dispose();
    }

    [Benchmark(Baseline = true, Description = "ORT 1 thread, MoE kernel")]
    public void OrtContrib() => _contrib.Run();

    [Benchmark(Description = "ORT 1 thread, dense export")]
    public void OrtDense() => _dense.Run();

    [Benchmark(Description = "ORT 1 thread, sparse export")]
    public void OrtSparse() => _sparse.Run();
}
