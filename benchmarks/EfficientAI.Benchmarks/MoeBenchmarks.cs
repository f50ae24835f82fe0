// Mixture of experts, latency against the number of experts E at k = 2 and one token: the generated code and ONNX
// Runtime (1 thread) on the same graphs: the com.microsoft::MoE form and PyTorch's dense masked and sparse traced
// exports (which our MoeRecognition pass turns into the same sparse dispatch). The models are untrained, H = 128, I = 256, made by
// `models/make_moe.py --bench .cache/moe-bench`; without them this benchmark is compiled out (MOE_BENCH).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace EfficientAI.Benchmarks;

[MemoryDiagnoser]
public class MoeBenchmarks
{
    public const int Hidden = 128;

    public static IEnumerable<int> ExpertCounts => new[] { 4, 8, 16, 32 };

    [ParamsSource(nameof(ExpertCounts))]
    public int E { get; set; }

    private readonly float[] _x = ModelCases.Uniform(Hidden, 11, -1f, 1f);
    private readonly float[] _contribOut = new float[10], _denseOut = new float[10], _sparseOut = new float[10];
    private Action _contrib = null!, _dense = null!, _sparse = null!;
    private OrtRunner _ortContrib = null!, _ortDense = null!, _ortSparse = null!;

    private static string CacheFile(string name) => Path.Combine(
        typeof(MoeBenchmarks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "MoeBenchDir").Value!, name);

    [GlobalSetup]
    public void Setup()
    {
#if MOE_BENCH
        switch (E)
        {
            case 4: _contrib = () => MoeE4Contrib.Infer(_x, _contribOut); _dense = () => MoeE4Dense.Infer(_x, _denseOut); _sparse = () => MoeE4Sparse.Infer(_x, _sparseOut); break;
            case 8: _contrib = () => MoeE8Contrib.Infer(_x, _contribOut); _dense = () => MoeE8Dense.Infer(_x, _denseOut); _sparse = () => MoeE8Sparse.Infer(_x, _sparseOut); break;
            case 16: _contrib = () => MoeE16Contrib.Infer(_x, _contribOut); _dense = () => MoeE16Dense.Infer(_x, _denseOut); _sparse = () => MoeE16Sparse.Infer(_x, _sparseOut); break;
            case 32: _contrib = () => MoeE32Contrib.Infer(_x, _contribOut); _dense = () => MoeE32Dense.Infer(_x, _denseOut); _sparse = () => MoeE32Sparse.Infer(_x, _sparseOut); break;
            default: throw new ArgumentOutOfRangeException(nameof(E));
        }
        var input = new[] { new ModelInput("input", _x, new long[] { 1, Hidden }) };
        _ortContrib = new OrtRunner(new ModelCase($"moe_e{E}_contrib", CacheFile($"moe_bench_e{E}_contrib.onnx"), input, new[] { 10 }, (_, _) => () => { }), 1);
        _ortDense = new OrtRunner(new ModelCase($"moe_e{E}_dense", CacheFile($"moe_bench_e{E}_dense.onnx"), input, new[] { 10 }, (_, _) => () => { }), 1);
        _ortSparse = new OrtRunner(new ModelCase($"moe_e{E}_sparse", CacheFile($"moe_bench_e{E}_sparse.onnx"), input, new[] { 10 }, (_, _) => () => { }), 1);
        _contrib();
        _dense();
        _sparse();
        _ortContrib.Run();
        _ortDense.Run();
        _ortSparse.Run();
        Agreement.Check($"moe_e{E}_contrib", _ortContrib.Outputs, new[] { _contribOut });
        Agreement.Check($"moe_e{E}_dense", _ortDense.Outputs, new[] { _denseOut });
        Agreement.Check($"moe_e{E}_sparse", _ortSparse.Outputs, new[] { _sparseOut });
#else
        throw new InvalidOperationException("Run models/make_moe.py --bench .cache/moe-bench, then rebuild: the MoE models are compiled out.");
#endif
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ortContrib.Dispose();
        _ortDense.Dispose();
        _ortSparse.Dispose();
    }

    [Benchmark(Description = "EfficientAI, MoE graph")]
    public void OursContrib() => _contrib();

    [Benchmark(Description = "EfficientAI, dense export")]
    public void OursDense() => _dense();

    [Benchmark(Description = "EfficientAI, sparse export")]
    public void OursSparse() => _sparse();

    [Benchmark(Baseline = true, Description = "ORT 1 thread, MoE kernel")]
    public void OrtContrib() => _ortContrib.Run();

    [Benchmark(Description = "ORT 1 thread, dense export")]
    public void OrtDense() => _ortDense.Run();

    [Benchmark(Description = "ORT 1 thread, sparse export")]
    public void OrtSparse() => _ortSparse.Run();
}
