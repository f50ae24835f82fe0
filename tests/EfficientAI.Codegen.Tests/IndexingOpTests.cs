using System;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>ArgMax/ArgMin, CumSum, GatherElements, DepthToSpace/SpaceToDepth against ONNX Runtime.</summary>
public class IndexingOpTests
{
    [Theory]
    [InlineData("ArgMax", 0, 1, 0)] [InlineData("ArgMax", 1, 0, 0)] [InlineData("ArgMax", -1, 1, 1)]
    [InlineData("ArgMin", 2, 0, 0)] [InlineData("ArgMin", 1, 1, 1)]
    public void ArgReduceFloat(string op, int axis, int keepdims, int selectLast)
    {
        var b = new OnnxBuilder(13).Input("x", 3, 4, 5);
        b.Node(op, "x", "y", A.Int("axis", axis), A.Int("keepdims", keepdims), A.Int("select_last_index", selectLast)).Output("y", 7);
        // Grid values give ties, so select_last_index matters.
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)TypedInputs.GridFloats(60, 1, 1), new[] { 3, 4, 5 }) });
    }

    [Fact]
    public void ArgMaxInt64()
    {
        var b = new OnnxBuilder(13).Typed("x", 7, 4, 6);
        b.Node("ArgMax", "x", "y", A.Int("axis", 1)).Output("y", 7);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", TypedInputs.Of(7, 24, 2), new[] { 4, 6 }) });
    }

    [Theory]
    [InlineData(0, 0, 0)] [InlineData(1, 1, 0)] [InlineData(-1, 0, 1)] [InlineData(2, 1, 1)]
    public void CumSum(int axis, int exclusive, int reverse)
    {
        var b = new OnnxBuilder(14).Input("x", 2, 3, 4);
        b.Initializer("axis", Array.Empty<int>(), new long[] { axis });
        b.Node("CumSum", new[] { "x", "axis" }, new[] { "y" }, A.Int("exclusive", exclusive), A.Int("reverse", reverse)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 3, 4 }) });
    }

    [Fact]
    public void CumSumInt64()
    {
        var b = new OnnxBuilder(14).Typed("x", 7, 3, 5);
        b.Initializer("axis", Array.Empty<int>(), new long[] { 1 });
        b.Node("CumSum", new[] { "x", "axis" }, new[] { "y" }).Output("y", 7);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", TypedInputs.Of(7, 15, 3), new[] { 3, 5 }) });
    }

    [Theory]
    [InlineData(0, 7)] [InlineData(1, 7)] [InlineData(-1, 6)]
    public void GatherElements(int axis, int indexType)
    {
        var b = new OnnxBuilder(13).Input("x", 3, 4, 5).Typed("idx", indexType, axis == 0 ? new[] { 2, 4, 5 } : axis == 1 ? new[] { 3, 6, 5 } : new[] { 3, 4, 2 });
        b.Node("GatherElements", new[] { "x", "idx" }, new[] { "y" }, A.Int("axis", axis)).Output("y");
        var idxShape = axis == 0 ? new[] { 2, 4, 5 } : axis == 1 ? new[] { 3, 6, 5 } : new[] { 3, 4, 2 };
        int size = axis == 0 ? 3 : axis == 1 ? 4 : 5;
        int count = idxShape[0] * idxShape[1] * idxShape[2];
        Array idx = indexType == 7 ? TypedInputs.Longs(count, 9, -size, size - 1) : TypedInputs.Ints(count, 9, -size, size - 1);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)OrtReference.RandomFloats(60, 1), new[] { 3, 4, 5 }), ("idx", idx, idxShape) });
    }

    [Fact]
    public void GatherElementsOutOfRangeThrows()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 3).Typed("idx", 7, 2, 1);
        b.Node("GatherElements", new[] { "x", "idx" }, new[] { "y" }, A.Int("axis", 1)).Output("y");
        var runner = GeneratorHarness.Compile(b.Build());
        Assert.Throws<IndexOutOfRangeException>(() => runner.Run(new float[6], new long[] { 0, 3 }));
    }

    [Theory]
    [InlineData("DCR")] [InlineData("CRD")]
    public void DepthToSpace(string mode)
    {
        var b = new OnnxBuilder(13).Input("x", 2, 8, 3, 2);
        b.Node("DepthToSpace", "x", "y", A.Int("blocksize", 2), A.Str("mode", mode)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 8, 3, 2 }) });
    }

    [Fact]
    public void SpaceToDepthRoundTrip()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 3, 4, 6);
        b.Node("SpaceToDepth", "x", "s", A.Int("blocksize", 2)).Node("DepthToSpace", "s", "back", A.Int("blocksize", 2)).Output("s").Output("back");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 1, 3, 4, 6 }) });
    }
}
