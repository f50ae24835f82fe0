using System;
using System.Linq;
using EfficientAI.Codegen.Model;
using Xunit;

namespace EfficientAI.Codegen.Tests.Infrastructure;

/// <summary>Seeded inputs of any element type, and the ONNX Runtime comparison for models whose inputs are not all float.</summary>
internal static class TypedInputs
{
    /// <summary>A graph input of any element type (OnnxBuilder.Input with ints alone means a float input).</summary>
    public static OnnxBuilder Typed(this OnnxBuilder b, string name, int elemType, params int[] dims) => b.Input(name, elemType, dims.Cast<object>().ToArray());

    /// <summary>Floats on a grid of 0.5 steps in [-range, range], so comparisons see ties; never all zero.</summary>
    public static float[] GridFloats(int n, int seed, int range = 2)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rng.Next(-2 * range, 2 * range + 1) * 0.5f;
        if (a.All(v => v == 0)) a[0] = 0.5f;
        return a;
    }

    public static long[] Longs(int n, int seed, long lo = -3, long hi = 3)
    {
        var rng = new Random(seed);
        var a = new long[n];
        for (int i = 0; i < n; i++) a[i] = rng.NextInt64(lo, hi + 1);
        if (a.All(v => v == 0)) a[0] = 1;
        return a;
    }

    public static int[] Ints(int n, int seed, int lo = -3, int hi = 3) => Longs(n, seed, lo, hi).Select(v => (int)v).ToArray();

    /// <summary>Seeded bools with both values present (for n &gt;= 2).</summary>
    public static bool[] Bools(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new bool[n];
        for (int i = 0; i < n; i++) a[i] = rng.Next(2) == 1;
        if (n >= 2 && a.All(v => v == a[0])) a[1] = !a[0];
        return a;
    }

    /// <summary>Inputs of the given ONNX element type (1 float, 6 int32, 7 int64, 9 bool).</summary>
    public static Array Of(int elemType, int n, int seed) => elemType switch
    {
        1 => GridFloats(n, seed),
        6 => Ints(n, seed),
        7 => Longs(n, seed),
        9 => Bools(n, seed),
        _ => throw new NotSupportedException(elemType.ToString()),
    };

    /// <summary>Compiles the model, runs it and ONNX Runtime on the same inputs, compares every output; returns the outputs.</summary>
    public static Array[] AgainstOrt(byte[] model, (string Name, Array Data, int[] Shape)[] inputs, double rtol = ModelCheck.DefaultRtol, double atol = ModelCheck.DefaultAtol)
    {
        var runner = GeneratorHarness.Compile(model);
        var expected = OrtReference.Run(model, inputs);
        var actual = runner.Run(inputs.Select(i => i.Data).ToArray());
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].GetType(), actual[i].GetType());
            OrtReference.AssertClose(expected[i], actual[i], rtol, atol, $"output {i}");
        }
        return actual;
    }

    /// <summary>The IR after the passes (null when compilation failed): to check what was folded.</summary>
    internal static Ir.Graph? CompiledGraph(byte[] model) =>
        ModelCompiler.CompileDetailed(new Model.ModelRequest(new Model.ModelFile("m.onnx", model.ToEquatableArray(), null), ModelOptions.Default("m.onnx")), default).Graph;

    /// <summary>Fails when a bool result is all true or all false (a comparison test that could not tell ops apart).</summary>
    public static void AssertMixed(Array result)
    {
        var b = result.Cast<bool>().ToArray();
        Assert.Contains(true, b);
        Assert.Contains(false, b);
    }
}
