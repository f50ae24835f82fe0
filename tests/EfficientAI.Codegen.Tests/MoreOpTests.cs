using System;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Data-movement, reduction and type ops beyond the foundation set, against ONNX Runtime.</summary>
public class MoreOpTests
{
    [Theory]
    [InlineData(new long[] { 1, 0 }, new long[] { 4, 5 }, new long[] { 1, 2 }, new long[] { 1, 2 })]
    [InlineData(new long[] { -1 }, new long[] { -100 }, new long[] { 2 }, new long[] { -2 })]
    [InlineData(new long[] { 0, 1 }, new long[] { 100, -1 }, new long[] { 0, 1 }, new long[] { 2, 1 })]
    public void Slice(long[] starts, long[] ends, long[] axes, long[] steps)
    {
        var b = new OnnxBuilder(13).Input("x", 3, 5, 6);
        b.Node("Slice", new[] { "x", b.Ints(starts), b.Ints(ends), b.Ints(axes), b.Ints(steps) }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 5, 6 }) });
    }

    [Fact]
    public void SliceOldOpsetAttributes()
    {
        var b = new OnnxBuilder(9).Input("x", 3, 5).Node("Slice", "x", "y", A.Ints("starts", 1, 0), A.Ints("ends", 3, -1)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 5 }) });
    }

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(-1)]
    public void GatherWithConstantIndices(int axis)
    {
        var b = new OnnxBuilder(13).Input("x", 4, 5, 3);
        b.Initializer("idx", new[] { 2, 2 }, new long[] { 0, -1, 2, 1 });
        b.Node("Gather", new[] { "x", "idx" }, new[] { "y" }, A.Int("axis", axis)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 4, 5, 3 }) });
    }

    [Fact]
    public void GatherWithRuntimeIndices()
    {
        var b = new OnnxBuilder(13).Input("table", 6, 4).Input("idx", 7, new object[] { 3 });
        b.Node("Gather", new[] { "table", "idx" }, new[] { "y" }).Output("y");
        var model = b.Build();
        var runner = GeneratorHarness.Compile(model);
        var table = OrtReference.RandomFloats(24, 1);
        var idx = new long[] { 5, -6, 2 };
        var expected = OrtReference.Run(model, new[] { ("table", (Array)table, new[] { 6, 4 }), ("idx", (Array)idx, new[] { 3 }) });
        OrtReference.AssertClose(expected[0], runner.Run(table, idx)[0], 0, 0, "y");
        Assert.Throws<IndexOutOfRangeException>(() => runner.Run(table, new long[] { 0, 6, 1 }));
    }

    [Fact]
    public void CastRoundTrip()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 9);
        b.Node("Cast", "x", "i", A.Int("to", 7)).Node("Cast", "i", "f", A.Int("to", 1)).Node("Cast", "x", "bo", A.Int("to", 9)).Node("Cast", "bo", "g", A.Int("to", 1));
        b.Node("Add", new[] { "f", "g" }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 9 }) }, scale: 5f);
    }

    [Theory]
    [InlineData("ReduceSum")] [InlineData("ReduceMax")] [InlineData("ReduceMin")] [InlineData("ReduceProd")] [InlineData("ReduceL1")]
    [InlineData("ReduceL2")] [InlineData("ReduceSumSquare")] [InlineData("ReduceLogSumExp")]
    public void Reductions(string op)
    {
        var b = new OnnxBuilder(11).Input("x", 3, 4, 5).Node(op, "x", "y", A.Ints("axes", 0, 2), A.Int("keepdims", 0)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 4, 5 }) });
    }

    [Fact]
    public void ReduceSumAxesInput()
    {
        var b = new OnnxBuilder(13).Input("x", 3, 4, 5);
        b.Node("ReduceSum", new[] { "x", b.Ints(-1) }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 4, 5 }) });
    }

    [Fact]
    public void SqueezeUnsqueezeBothOpsets()
    {
        var b = new OnnxBuilder(13).Input("x", 3, 1, 4);
        b.Node("Squeeze", new[] { "x", b.Ints(1) }, new[] { "s" }).Node("Unsqueeze", new[] { "s", b.Ints(0, 3) }, new[] { "u" }).Node("Relu", "u", "y").Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 1, 4 }) });
        var old = new OnnxBuilder(11).Input("x", 3, 1, 4).Node("Squeeze", "x", "s", A.Ints("axes", 1)).Node("Unsqueeze", "s", "y", A.Ints("axes", 0)).Output("y");
        ModelCheck.AgainstOrt(old.Build(), new[] { ("x", new[] { 3, 1, 4 }) });
    }

    [Fact]
    public void LogSoftmaxAndHardSwish()
    {
        var b = new OnnxBuilder(14).Input("x", 2, 7).Node("LogSoftmax", "x", "l", A.Int("axis", 1)).Node("HardSwish", "l", "y").Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 7 }) }, scale: 3f);
    }

    [Fact]
    public void IntegerArithmeticAtRunTime()
    {
        var b = new OnnxBuilder(13).Input("a", 7, new object[] { 2, 3 }).Input("b", 7, new object[] { 3 });
        b.Node("Mul", new[] { "a", "b" }, new[] { "m" }).Node("Sub", new[] { "m", "b" }, new[] { "y" }).Output("y", 7);
        var model = b.Build();
        var a = new long[] { 1, -2, 3, 4, 5, -6 };
        var bb = new long[] { 7, 8, -9 };
        var expected = OrtReference.Run(model, new[] { ("a", (Array)a, new[] { 2, 3 }), ("b", (Array)bb, new[] { 3 }) });
        Assert.Equal((long[])expected[0], (long[])GeneratorHarness.Compile(model).Run(a, bb)[0]);
    }
}
