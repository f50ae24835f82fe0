using System;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests.Conformance;

/// <summary>
/// The non-float paths the conformance suite found missing (reductions on int64 and double, Clip on integers, Pow with a
/// differently typed exponent, Binary on uint8 and double), against ONNX Runtime; and the suite's own comparison.
/// </summary>
public class TypeCoverageTests
{
    [Theory]
    [InlineData("ReduceSum")]
    [InlineData("ReduceMax")]
    [InlineData("ReduceMin")]
    [InlineData("ReduceProd")]
    [InlineData("ReduceMean")]
    [InlineData("ReduceL1")]
    [InlineData("ReduceSumSquare")]
    public void IntegerReductionsMatchOrt(string op)
    {
        var b = new OnnxBuilder(13).Input("x", 7, new object[] { 2, 3, 4 });
        if (op == "ReduceSum") b.Node(op, new[] { "x", b.Ints(1) }, new[] { "y" }, A.Int("keepdims", 0));
        else b.Node(op, new[] { "x" }, new[] { "y" }, A.Ints("axes", 1), A.Int("keepdims", 0));
        var model = b.Output("y", 7).Build();
        var x = Enumerable.Range(0, 24).Select(i => (long)((i * 7 % 11) - 5)).ToArray();
        var expected = OrtReference.Run(model, new[] { ("x", (Array)x, new[] { 2, 3, 4 }) });
        Assert.Equal((long[])expected[0], (long[])GeneratorHarness.Compile(model).Run(x)[0]);
    }

    [Theory]
    [InlineData("ReduceLogSumExp")]
    [InlineData("ReduceL2")]
    [InlineData("ReduceLogSum")]
    [InlineData("ReduceMean")]
    public void DoubleReductionsMatchOrt(string op)
    {
        var b = new OnnxBuilder(13).Input("x", 11, new object[] { 3, 2, 2 });
        b.Node(op, new[] { "x" }, new[] { "y" }, A.Ints("axes", 0, 2), A.Int("keepdims", 1));
        var model = b.Output("y", 11).Build();
        var x = OrtReference.RandomFloats(12, 3).Select(v => (double)Math.Abs(v) + 0.1).ToArray();
        var expected = OrtReference.Run(model, new[] { ("x", (Array)x, new[] { 3, 2, 2 }) });
        OrtReference.AssertClose(expected[0], GeneratorHarness.Compile(model).Run(x)[0], 1e-12, 1e-12, op);
    }

    [Fact]
    public void ClipOnInt32MatchesOrt()
    {
        var b = new OnnxBuilder(13).Input("x", 6, new object[] { 7 });
        var lo = b.Initializer("lo", Array.Empty<int>(), new long[] { -2 });
        b.Node("Cast", lo, "lo32", A.Int("to", 6));
        b.Node("Clip", new[] { "x", "lo32" }, new[] { "y" }).Output("y", 6);
        var model = b.Build();
        var x = new[] { -9, -2, -1, 0, 3, int.MaxValue, int.MinValue };
        var expected = OrtReference.Run(model, new[] { ("x", (Array)x, new[] { 7 }) });
        Assert.Equal((int[])expected[0], (int[])GeneratorHarness.Compile(model).Run(x)[0]);
    }

    [Fact]
    public void PowWithInt64ExponentBroadcastsLikeOrt()
    {
        var b = new OnnxBuilder(13).Input("x", 1, new object[] { 2, 3 }).Input("e", 7, new object[] { 3 });
        var model = b.Node("Pow", new[] { "x", "e" }, new[] { "y" }).Output("y", 1).Build();
        var x = new[] { 1.5f, -2f, 0.5f, 3f, -1.25f, 2f };
        var e = new long[] { 2, 3, -1 };
        var expected = OrtReference.Run(model, new[] { ("x", (Array)x, new[] { 2, 3 }), ("e", (Array)e, new[] { 3 }) });
        OrtReference.AssertClose(expected[0], GeneratorHarness.Compile(model).Run(x, e)[0], 1e-6, 1e-7, "Pow");
    }

    [Fact]
    public void Uint8AndDoubleArithmeticMatchOrt()
    {
        foreach (var (elemType, a, c) in new (int, Array, Array)[]
        {
            (2, new byte[] { 200, 3, 255, 0 }, new byte[] { 100, 7 }),
            (11, new double[] { 1e-300, -2.5, 3.25, 1e300 }, new double[] { 1e10, -0.125 }),
        })
        {
            var b = new OnnxBuilder(14).Input("a", elemType, new object[] { 2, 2 }).Input("b", elemType, new object[] { 2 });
            b.Node("Mul", new[] { "a", "b" }, new[] { "m" }).Node("Add", new[] { "m", "a" }, new[] { "y" }).Output("y", elemType);
            var model = b.Build();
            var expected = OrtReference.Run(model, new[] { ("a", a, new[] { 2, 2 }), ("b", c, new[] { 2 }) });
            OrtReference.AssertClose(expected[0], GeneratorHarness.Compile(model).Run(a, c)[0], 0, 0, "type " + elemType);
        }
    }

    [Fact]
    public void SuiteComparisonUsesOnnxTolerancesAndChecksTypeAndShape()
    {
        double max = 0;
        var expected = Tensor.FromFloats(new[] { 3 }, new[] { 1f, -1000f, float.NaN });
        Assert.Null(ConformanceRunner.Compare(expected, DataType.Float, Tensor.FromFloats(new[] { 3 }, new[] { 1.0009f, -1000.9f, float.NaN }), ref max));
        Assert.NotNull(ConformanceRunner.Compare(expected, DataType.Float, Tensor.FromFloats(new[] { 3 }, new[] { 1.0012f, -1000f, float.NaN }), ref max));
        Assert.NotNull(ConformanceRunner.Compare(expected, DataType.Float, Tensor.FromFloats(new[] { 3 }, new[] { 1f, -1000f, 0f }), ref max));
        Assert.NotNull(ConformanceRunner.Compare(expected, DataType.Float, Tensor.FromFloats(new[] { 1, 3 }, new[] { 1f, -1000f, float.NaN }), ref max));
        Assert.NotNull(ConformanceRunner.Compare(Tensor.FromLongs(new[] { 1 }, new[] { 5L }), DataType.Int64, Tensor.FromFloats(new[] { 1 }, new[] { 5f }), ref max));
        Assert.NotNull(ConformanceRunner.Compare(Tensor.FromLongs(new[] { 1 }, new[] { 1L << 60 }), DataType.Int64, Tensor.FromLongs(new[] { 1 }, new[] { (1L << 60) + 1 }), ref max));
        // Float16 expectations are compared with the float the generated code returns.
        Assert.Null(ConformanceRunner.Compare(Tensor.FromFloats(new[] { 1 }, new[] { 0.5f }), DataType.Float16, Tensor.FromFloats(new[] { 1 }, new[] { 0.5f }), ref max));
    }
}
