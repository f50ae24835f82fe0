using System;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>TopK, GatherND, ScatterND, ScatterElements, NonZero and OneHot against ONNX Runtime.</summary>
public class ScatterOpTests
{
    [Theory]
    [InlineData(-1, 3, 1)] [InlineData(0, 2, 0)] [InlineData(1, 4, 1)] [InlineData(1, 0, 1)]
    public void TopK(int axis, int k, int largest)
    {
        var b = new OnnxBuilder(11).Input("x", 3, 4, 5);
        b.Node("TopK", new[] { "x", b.Ints(k) }, new[] { "v", "i" }, A.Int("axis", axis), A.Int("largest", largest)).Output("v").Output("i", 7);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)OrtReference.RandomFloats(60, 1), new[] { 3, 4, 5 }) });
    }

    [Fact]
    public void TopKTiesKeepInputOrderAndInt64()
    {
        var b = new OnnxBuilder(11).Input("x", 2, 9).Typed("n", 7, 2, 9);
        b.Node("TopK", new[] { "x", b.Ints(4) }, new[] { "v", "i" }).Node("TopK", new[] { "n", b.Ints(3) }, new[] { "nv", "ni" }, A.Int("largest", 0));
        b.Output("v").Output("i", 7).Output("nv", 7).Output("ni", 7);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)TypedInputs.GridFloats(18, 2, 1), new[] { 2, 9 }), ("n", TypedInputs.Longs(18, 3, -2, 2), new[] { 2, 9 }) });
    }

    [Theory]
    [InlineData(0, new[] { 3, 2 })] [InlineData(0, new[] { 2, 2, 1 })] [InlineData(1, new[] { 2, 3, 1 })] [InlineData(1, new[] { 2, 2 })]
    public void GatherND(int batchDims, int[] idxShape)
    {
        var b = new OnnxBuilder(13).Input("x", 2, 4, 3).Typed("idx", 7, idxShape);
        b.Node("GatherND", new[] { "x", "idx" }, new[] { "y" }, A.Int("batch_dims", batchDims)).Output("y");
        int count = 1;
        foreach (var d in idxShape) count *= d;
        var idx = new long[count];
        var rng = new Random(5);
        int m = idxShape[^1];
        for (int j = 0; j < count; j++)
        {
            int dim = new[] { 2, 4, 3 }[batchDims + j % m];
            idx[j] = rng.Next(-dim, dim);
        }
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)OrtReference.RandomFloats(24, 1), new[] { 2, 4, 3 }), ("idx", idx, idxShape) });
    }

    [Theory]
    [InlineData("none")] [InlineData("add")] [InlineData("mul")]
    public void ScatterND(string reduction)
    {
        var b = new OnnxBuilder(16).Input("x", 4, 3, 2).Input("u", 2, 3, 2);
        b.Initializer("idx", new[] { 2, 1 }, new long[] { 3, -3 });
        b.Node("ScatterND", new[] { "x", "idx", "u" }, new[] { "y" }, A.Str("reduction", reduction)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 4, 3, 2 }), ("u", new[] { 2, 3, 2 }) });
    }

    [Fact]
    public void ScatterNDElementTuplesInt64()
    {
        var b = new OnnxBuilder(13).Typed("x", 7, 3, 4).Typed("u", 7, 3);
        b.Initializer("idx", new[] { 3, 2 }, new long[] { 0, 1, 2, 3, 1, -1 });
        b.Node("ScatterND", new[] { "x", "idx", "u" }, new[] { "y" }).Output("y", 7);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", TypedInputs.Of(7, 12, 1), new[] { 3, 4 }), ("u", (Array)new long[] { 10, 20, 30 }, new[] { 3 }) });
    }

    [Theory]
    [InlineData(0, "none")] [InlineData(1, "none")] [InlineData(-1, "add")] [InlineData(1, "max")] [InlineData(0, "min")]
    public void ScatterElements(int axis, string reduction)
    {
        var b = new OnnxBuilder(18).Input("x", 3, 4).Input("u", 2, 3);
        // Unique positions per column/row so "none" is deterministic; smaller than data on the other axis.
        var idx = axis == 0 ? new long[] { 2, 0, 1, 0, -1, 2 } : new long[] { 3, 0, -3, 1, 2, 0 };
        b.Initializer("idx", new[] { 2, 3 }, idx);
        b.Node("ScatterElements", new[] { "x", "idx", "u" }, new[] { "y" }, A.Int("axis", axis), A.Str("reduction", reduction)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 4 }), ("u", new[] { 2, 3 }) });
    }

    [Fact]
    public void NonZeroOfConstantFoldsAndRuntimeInputIsRefused()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 3);
        b.Initializer("mask", new[] { 2, 3 }, new[] { 0f, 1.5f, 0f, -2f, 0f, 3f });
        b.Node("NonZero", "mask", "nz").Node("Cast", "nz", "nzf", A.Int("to", 1)).Node("ReduceSum", new[] { "nzf" }, new[] { "s" }, A.Int("keepdims", 0));
        b.Node("Add", new[] { "x", "s" }, new[] { "y" }).Output("y").Output("nz", 7);
        var model = b.Build();
        var runner = GeneratorHarness.Compile(model);
        var x = OrtReference.RandomFloats(6, 1);
        var expected = OrtReference.Run(model, new[] { ("x", (Array)x, new[] { 2, 3 }) });
        var actual = runner.Run(x);
        OrtReference.AssertClose(expected[0], actual[0], 1e-6, 1e-6, "y");
        Assert.Equal(expected[1], actual[1]);

        var r = new OnnxBuilder(13).Input("x", 2, 3).Node("NonZero", "x", "nz").Output("nz", 7);
        var e = Assert.Throws<InvalidOperationException>(() => GeneratorHarness.Compile(r.Build()));
        Assert.Contains("EAI0204", e.Message);
        Assert.Contains("NonZero", e.Message);
    }

    [Theory]
    [InlineData(-1, 7)] [InlineData(0, 7)] [InlineData(1, 6)]
    public void OneHot(int axis, int indexType)
    {
        var b = new OnnxBuilder(11).Typed("idx", indexType, 2, 3);
        // ONNX Runtime has int32 indices only with a float depth.
        if (indexType == 7) b.Initializer("depth", Array.Empty<int>(), new long[] { 5 });
        else b.Initializer("depth", Array.Empty<int>(), new[] { 5f });
        b.Initializer("values", new[] { 2 }, new[] { -0.5f, 2f });
        b.Node("OneHot", new[] { "idx", "depth", "values" }, new[] { "y" }, A.Int("axis", axis)).Output("y");
        Array idx = indexType == 7 ? new long[] { 0, 4, -1, 2, 7, -5 } : new[] { 0, 4, -1, 2, 7, -5 };
        TypedInputs.AgainstOrt(b.Build(), new[] { ("idx", idx, new[] { 2, 3 }) });
    }
}
