using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace EfficientAI.Codegen.Tests.Infrastructure;

/// <summary>Runs a model in ONNX Runtime (the reference) and compares outputs with stated tolerances.</summary>
internal static class OrtReference
{
    public static Array[] Run(byte[] model, IReadOnlyList<(string Name, Array Data, int[] Shape)> inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model, options);
        var feeds = inputs.Select(i => i.Data switch
        {
            float[] f => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(f, i.Shape)),
            long[] l => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<long>(l, i.Shape)),
            int[] x => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<int>(x, i.Shape)),
            bool[] b => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<bool>(b, i.Shape)),
            double[] d => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<double>(d, i.Shape)),
            byte[] u => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<byte>(u, i.Shape)),
            Half[] h => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<Float16>(h.Select(v => new Float16(BitConverter.HalfToUInt16Bits(v))).ToArray(), i.Shape)),
            _ => throw new NotSupportedException(i.Data.GetType().Name),
        }).ToList();
        using var results = session.Run(feeds);
        return results.Select(r => r.Value switch
        {
            DenseTensor<float> t => (Array)t.Buffer.ToArray(),
            DenseTensor<long> t => t.Buffer.ToArray(),
            DenseTensor<int> t => t.Buffer.ToArray(),
            DenseTensor<bool> t => t.Buffer.ToArray(),
            DenseTensor<double> t => t.Buffer.ToArray(),
            DenseTensor<byte> t => t.Buffer.ToArray(),
            DenseTensor<Float16> t => t.Buffer.ToArray().Select(v => BitConverter.UInt16BitsToHalf(v.value)).ToArray(),
            Tensor<float> t => t.ToArray(),
            Tensor<long> t => t.ToArray(),
            Tensor<bool> t => t.ToArray(),
            _ => throw new NotSupportedException(r.Value.GetType().Name),
        }).ToArray();
    }

    /// <summary>Asserts |actual - expected| &lt;= atol + rtol * |expected| element-wise (NaN matches NaN, infinities must match).</summary>
    public static void AssertClose(Array expected, Array actual, double rtol, double atol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = ToDouble(expected.GetValue(i)), a = ToDouble(actual.GetValue(i));
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (double.IsInfinity(e) || double.IsInfinity(a))
            {
                Assert.True(e == a, $"{what}[{i}]: {a}, expected {e}");
                continue;
            }
            double excess = Math.Abs(a - e) - (atol + rtol * Math.Abs(e));
            if (double.IsNaN(a - e) || excess > worst) { worst = double.IsNaN(a - e) ? double.PositiveInfinity : excess; worstAt = i; }
        }
        Assert.True(worstAt < 0, worstAt < 0 ? "" : $"{what}[{worstAt}]: {actual.GetValue(worstAt)}, expected {expected.GetValue(worstAt)} (rtol {rtol}, atol {atol})");
    }

    private static double ToDouble(object? v) => v is Half h ? (double)h : Convert.ToDouble(v);

    /// <summary>Seeded random floats in [-scale, scale), never all zero.</summary>
    public static float[] RandomFloats(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        if (n > 0 && a.All(v => v == 0)) a[0] = 0.5f;
        return a;
    }
}

/// <summary>The common test: compile a model with the generator, run it and ONNX Runtime on the same random inputs, compare.</summary>
internal static class ModelCheck
{
    public const double DefaultRtol = 1e-4, DefaultAtol = 1e-5;

    public static CompiledModelRunner AgainstOrt(byte[] model, (string Name, int[] Shape)[] inputs, int seed = 1, double rtol = DefaultRtol, double atol = DefaultAtol,
        Dictionary<string, string>? metadata = null, float scale = 1f)
    {
        var runner = GeneratorHarness.Compile(model, metadata);
        var data = inputs.Select((x, i) => (x.Name, (Array)OrtReference.RandomFloats(x.Shape.Aggregate(1, (a, b) => a * b), seed + i, scale), x.Shape)).ToList();
        var expected = OrtReference.Run(model, data);
        var actual = runner.Run(data.Select(d => d.Item2).ToArray());
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) OrtReference.AssertClose(expected[i], actual[i], rtol, atol, $"output {i}");
        return runner;
    }
}
