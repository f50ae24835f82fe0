using System;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Mod, the variadic Sum/Mean/Max/Min, Expand, Tile and Range against ONNX Runtime.</summary>
public class ArithmeticOpTests
{
    [Theory]
    [InlineData(7, 0)] [InlineData(7, 1)] [InlineData(6, 0)] [InlineData(6, 1)] [InlineData(1, 1)]
    public void ModBroadcasting(int elemType, int fmod)
    {
        var b = new OnnxBuilder(13).Typed("a", elemType, 3, 8).Typed("b", elemType, 8);
        b.Node("Mod", new[] { "a", "b" }, new[] { "y" }, A.Int("fmod", fmod)).Output("y", elemType);
        Array a = elemType switch { 1 => OrtReference.RandomFloats(24, 1, 7f), 7 => TypedInputs.Longs(24, 1, -20, 20), _ => TypedInputs.Ints(24, 1, -20, 20) };
        Array d = elemType == 1 ? new[] { 1.5f, -2f, 3f, -0.7f, 2.5f, 1f, -3f, 0.3f } : elemType == 7 ? new long[] { 2, -2, 3, -3, 4, 5, -5, 1 } : new[] { 2, -2, 3, -3, 4, 5, -5, 1 };
        TypedInputs.AgainstOrt(b.Build(), new[] { ("a", a, new[] { 3, 8 }), ("b", d, new[] { 8 }) });
    }

    [Fact]
    public void FloatModWithoutFmodIsRejected()
    {
        var b = new OnnxBuilder(13).Input("a", new[] { 4 }).Input("b", new[] { 4 }).Node("Mod", new[] { "a", "b" }, new[] { "y" }).Output("y");
        Assert.Contains("EAI0203", Assert.Throws<InvalidOperationException>(() => GeneratorHarness.Compile(b.Build())).Message);
    }

    [Theory]
    [InlineData("Sum", 1)] [InlineData("Mean", 1)] [InlineData("Max", 1)] [InlineData("Min", 1)]
    [InlineData("Max", 7)] [InlineData("Min", 6)] [InlineData("Max", 6)] // ONNX Runtime has Sum and Mean for floats only
    public void VariadicBroadcasting(string op, int elemType)
    {
        var b = new OnnxBuilder(13).Typed("a", elemType, 3, 1, 4).Typed("b", elemType, 5, 1).Typed("c", elemType, 4).Typed("d", elemType, 3, 5, 4);
        b.Node(op, new[] { "a", "b", "c", "d" }, new[] { "y" }).Output("y", elemType);
        Array Data(int n, int seed) => elemType == 1 ? OrtReference.RandomFloats(n, seed) : TypedInputs.Of(elemType, n, seed);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("a", Data(12, 1), new[] { 3, 1, 4 }), ("b", Data(5, 2), new[] { 5, 1 }), ("c", Data(4, 3), new[] { 4 }), ("d", Data(60, 4), new[] { 3, 5, 4 }) });
    }

    [Theory]
    [InlineData("Sum")] [InlineData("Mean")] [InlineData("Max")]
    public void VariadicOneAndTwoInputs(string op)
    {
        var b = new OnnxBuilder(13).Input("a", 2, 6).Input("b", new[] { 6 });
        b.Node(op, "a", "one").Node(op, new[] { "a", "b" }, new[] { "two" }).Output("one").Output("two");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("a", new[] { 2, 6 }), ("b", new[] { 6 }) });
    }

    [Theory]
    [InlineData(new[] { 3, 1 }, new long[] { 2, 1, 6 })]
    [InlineData(new[] { 3, 1 }, new long[] { 3, 4 })]
    [InlineData(new[] { 1, 4 }, new long[] { 1 })]
    [InlineData(new[] { 2, 1, 3 }, new long[] { 2, 5, 1 })]
    public void Expand(int[] inShape, long[] shape)
    {
        var b = new OnnxBuilder(13).Input("x", inShape);
        b.Node("Expand", new[] { "x", b.Ints(shape) }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", inShape) });
    }

    [Fact]
    public void ExpandInt64AndRuntimeShapeIsRefused()
    {
        var b = new OnnxBuilder(13).Typed("x", 7, 3, 1);
        b.Node("Expand", new[] { "x", b.Ints(2, 3, 4) }, new[] { "y" }).Output("y", 7);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)new long[] { 5, -1, 7 }, new[] { 3, 1 }) });

        var r = new OnnxBuilder(13).Input("x", 3, 1).Typed("shape", 7, 2);
        r.Node("Expand", new[] { "x", "shape" }, new[] { "y" }).Output("y");
        var e = Assert.Throws<InvalidOperationException>(() => GeneratorHarness.Compile(r.Build()));
        Assert.Contains("EAI0204", e.Message);
        Assert.Contains("shape", e.Message);
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, new long[] { 2, 3 })]
    [InlineData(new[] { 2, 3, 4 }, new long[] { 1, 2, 1 })]
    [InlineData(new[] { 5 }, new long[] { 3 })]
    public void Tile(int[] inShape, long[] repeats)
    {
        var b = new OnnxBuilder(13).Input("x", inShape);
        b.Node("Tile", new[] { "x", b.Ints(repeats) }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", inShape) });
    }

    [Fact]
    public void RangeFeedsComputation()
    {
        // Position ids: Range(0, len, 1) with len from Shape; the float range scales the input.
        var b = new OnnxBuilder(13).Input("x", 2, 7);
        b.Node("Shape", "x", "shape").Node("Gather", new[] { "shape", b.Ints(1) }, new[] { "len1" }).Node("Squeeze", new[] { "len1", b.Ints(0) }, new[] { "len" });
        b.Initializer("zero", Array.Empty<int>(), new long[] { 0 });
        b.Initializer("one", Array.Empty<int>(), new long[] { 1 });
        b.Node("Range", new[] { "zero", "len", "one" }, new[] { "pos" }).Node("Cast", "pos", "posf", A.Int("to", 1));
        b.Initializer("fs", Array.Empty<int>(), new[] { 1f });
        b.Initializer("fl", Array.Empty<int>(), new[] { -2.4f });
        b.Initializer("fd", Array.Empty<int>(), new[] { -0.5f });
        b.Node("Range", new[] { "fs", "fl", "fd" }, new[] { "fr" });
        b.Node("Mul", new[] { "x", "posf" }, new[] { "m" }).Node("Add", new[] { "m", "fr" }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 7 }) });
    }

    [Fact]
    public void RangeWithRuntimeLimitIsRefused()
    {
        var b = new OnnxBuilder(13).Typed("n", 7);
        b.Initializer("zero", Array.Empty<int>(), new long[] { 0 });
        b.Initializer("one", Array.Empty<int>(), new long[] { 1 });
        b.Node("Range", new[] { "zero", "n", "one" }, new[] { "y" }).Output("y", 7);
        var e = Assert.Throws<InvalidOperationException>(() => GeneratorHarness.Compile(b.Build()));
        Assert.Contains("EAI0204", e.Message);
        Assert.Contains("limit", e.Message);
    }
}
