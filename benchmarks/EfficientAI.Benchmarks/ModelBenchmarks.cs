using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;

namespace EfficientAI.Benchmarks;

/// <summary>
/// Per model, in one process: the generated code (one thread) and ONNX Runtime with 1 and 2 intra-op threads on
/// the same inputs. The setup checks that both produce the same outputs, so a fast wrong kernel cannot win.
/// </summary>
[MemoryDiagnoser]
public class ModelBenchmarks
{
    private Action _ours = null!;
    private OrtRunner _ort1 = null!, _ort2 = null!;

    /// <summary>Every compiled model, or those named in EAI_BENCH_MODELS (comma-separated).</summary>
    public static IEnumerable<string> Models
    {
        get
        {
            var only = Environment.GetEnvironmentVariable("EAI_BENCH_MODELS");
            var names = ModelCases.All.Select(c => c.Name);
            return string.IsNullOrEmpty(only) ? names : names.Where(n => only.Split(',').Contains(n));
        }
    }

    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var model = ModelCases.Find(Model);
        var outputs = Array.ConvertAll(model.OutputLengths, n => new float[n]);
        var inputs = model.Inputs.Where(i => !i.Bound).Select(i => i.Data).ToArray();
        _ours = model.Bind(inputs, outputs);
        _ort1 = new OrtRunner(model, 1);
        _ort2 = new OrtRunner(model, 2);
        _ours();
        _ort1.Run();
        Agreement.Check(model.Name, _ort1.Outputs, outputs);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ort1.Dispose();
        _ort2.Dispose();
    }

    [Benchmark(Description = "EfficientAI")]
    public void Ours() => _ours();

    [Benchmark(Baseline = true, Description = "ORT 1 thread")]
    public void Ort1() => _ort1.Run();

    [Benchmark(Description = "ORT 2 threads")]
    public void Ort2() => _ort2.Run();
}

/// <summary>Both engines must agree before their times mean anything (tolerance as the real-model tests: 1e-4 + 1e-3|x|).</summary>
internal static class Agreement
{
    public static void Check(string model, float[][] expected, float[][] actual)
    {
        for (int o = 0; o < expected.Length; o++)
        {
            int bad = 0;
            for (int i = 0; i < expected[o].Length; i++)
            {
                double e = expected[o][i], a = actual[o][i];
                if (!(Math.Abs(a - e) <= 1e-4 + 1e-3 * Math.Abs(e) || Math.Abs(a - e) <= 2e-2 && model.StartsWith("mlsd", StringComparison.Ordinal))) bad++;
            }
            if (bad > 0) throw new InvalidOperationException($"{model}: output {o} differs from ONNX Runtime at {bad} of {expected[o].Length} elements");
        }
    }
}
