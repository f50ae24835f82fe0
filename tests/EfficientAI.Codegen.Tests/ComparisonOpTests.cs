using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Google.Protobuf;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Comparisons, logical ops and Where against ONNX Runtime: dtypes, broadcasting, folding.</summary>
public class ComparisonOpTests
{
    public static IEnumerable<object[]> CompareCases() =>
        from op in new[] { "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual" }
        from type in new[] { 1, 7, 6 }
        select new object[] { op, type };

    [Theory]
    [MemberData(nameof(CompareCases))]
    public void CompareBroadcasting(string op, int elemType)
    {
        var b = new OnnxBuilder(16).Typed("a", elemType, 3, 1, 5).Typed("b", elemType, 4, 5);
        b.Node(op, new[] { "a", "b" }, new[] { "y" }).Output("y", 9);
        var y = TypedInputs.AgainstOrt(b.Build(), new[] { ("a", TypedInputs.Of(elemType, 15, 1), new[] { 3, 1, 5 }), ("b", TypedInputs.Of(elemType, 20, 2), new[] { 4, 5 }) });
        TypedInputs.AssertMixed(y[0]);
    }

    [Theory]
    [InlineData("Equal")] [InlineData("Less")] [InlineData("Greater")]
    public void CompareSameShapeAndScalar(string op)
    {
        var b = new OnnxBuilder(13).Typed("a", 1, 2, 8).Typed("b", 1, 2, 8).Typed("s", 1);
        b.Node(op, new[] { "a", "b" }, new[] { "y" }).Node(op, new[] { "a", "s" }, new[] { "z" }).Output("y", 9).Output("z", 9);
        var a = TypedInputs.GridFloats(16, 3);
        var bData = TypedInputs.GridFloats(16, 4);
        Array.Copy(a, bData, 4); // some ties
        var r = TypedInputs.AgainstOrt(b.Build(), new[] { ("a", (Array)a, new[] { 2, 8 }), ("b", bData, new[] { 2, 8 }), ("s", new[] { 0.5f }, Array.Empty<int>()) });
        TypedInputs.AssertMixed(r[0]);
        TypedInputs.AssertMixed(r[1]);
    }

    [Fact]
    public void EqualOnBool()
    {
        var b = new OnnxBuilder(13).Typed("a", 9, 4, 6).Typed("b", 9, 6);
        b.Node("Equal", new[] { "a", "b" }, new[] { "y" }).Output("y", 9);
        TypedInputs.AssertMixed(TypedInputs.AgainstOrt(b.Build(), new[] { ("a", TypedInputs.Of(9, 24, 1), new[] { 4, 6 }), ("b", TypedInputs.Of(9, 6, 2), new[] { 6 }) })[0]);
    }

    [Theory]
    [InlineData("And")] [InlineData("Or")] [InlineData("Xor")]
    public void LogicalBroadcasting(string op)
    {
        var b = new OnnxBuilder(13).Typed("a", 9, 2, 3, 4).Typed("b", 9, 3, 1);
        b.Node(op, new[] { "a", "b" }, new[] { "y" }).Output("y", 9);
        TypedInputs.AssertMixed(TypedInputs.AgainstOrt(b.Build(), new[] { ("a", TypedInputs.Of(9, 24, 5), new[] { 2, 3, 4 }), ("b", TypedInputs.Of(9, 3, 6), new[] { 3, 1 }) })[0]);
    }

    [Fact]
    public void NotOfComparison()
    {
        var b = new OnnxBuilder(13).Typed("a", 1, 2, 7).Typed("b", 1, 2, 7);
        b.Node("Less", new[] { "a", "b" }, new[] { "lt" }).Node("Not", "lt", "y").Output("y", 9);
        TypedInputs.AssertMixed(TypedInputs.AgainstOrt(b.Build(), new[] { ("a", TypedInputs.Of(1, 14, 7), new[] { 2, 7 }), ("b", TypedInputs.Of(1, 14, 8), new[] { 2, 7 }) })[0]);
    }

    [Theory]
    [InlineData(1)] [InlineData(7)] [InlineData(6)] // ONNX Runtime has no bool Where kernel to compare with
    public void WhereThreeWayBroadcast(int elemType)
    {
        var b = new OnnxBuilder(16).Typed("c", 9, 4, 1).Typed("x", elemType, 3, 4, 5).Typed("y", elemType, 5);
        b.Node("Where", new[] { "c", "x", "y" }, new[] { "z" }).Output("z", elemType);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("c", TypedInputs.Of(9, 4, 1), new[] { 4, 1 }), ("x", TypedInputs.Of(elemType, 60, 2), new[] { 3, 4, 5 }), ("y", TypedInputs.Of(elemType, 5, 3), new[] { 5 }) });
    }

    [Fact]
    public void WhereMaskFromComparison()
    {
        // The attention-mask pattern: scores where mask, else a large negative constant.
        var b = new OnnxBuilder(13).Input("scores", 2, 4, 6).Input("lengths", 2, 1, 1);
        b.Initializer("positions", new[] { 6 }, new float[] { 0, 1, 2, 3, 4, 5 });
        b.Initializer("neg", Array.Empty<int>(), new[] { -1e4f });
        b.Node("Less", new[] { "positions", "lengths" }, new[] { "mask" }).Node("Where", new[] { "mask", "scores", "neg" }, new[] { "y" }).Output("y");
        TypedInputs.AgainstOrt(b.Build(), new[] { ("scores", (Array)OrtReference.RandomFloats(48, 1), new[] { 2, 4, 6 }), ("lengths", new[] { 2f, 5f }, new[] { 2, 1, 1 }) });
    }

    [Fact]
    public void ConstantComparisonsFold()
    {
        // Shape(x)[1] == 4 ? ... : ... decided at compile time; the folded Where picks the reshape target.
        var b = new OnnxBuilder(13).Input("x", 2, 4, 3);
        b.Node("Shape", "x", "shape");
        b.Node("Equal", new[] { "shape", b.Ints(2, 4, 5) }, new[] { "eq" });
        b.Node("Not", "eq", "ne").Node("Or", new[] { "ne", "eq" }, new[] { "all" });
        b.Node("Where", new[] { "eq", "shape", b.Ints(1, 1, -1) }, new[] { "target" });
        b.Node("And", new[] { "all", "eq" }, new[] { "same" }).Node("Cast", "same", "samef", A.Int("to", 1));
        b.Node("Reshape", new[] { "x", "target" }, new[] { "r" }).Node("Add", new[] { "r", "samef" }, new[] { "y" }).Output("y");
        var model = b.Build();
        var graph = TypedInputs.CompiledGraph(model)!;
        Assert.DoesNotContain(graph.Nodes, n => n.OpType is "Equal" or "Where" or "Not" or "Or" or "And");
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 2, 4, 3 }) });
    }

    [Fact]
    public void OrderingOnBoolIsRejected()
    {
        var b = new OnnxBuilder(13).Typed("a", 9, 3).Typed("b", 9, 3);
        b.Node("Less", new[] { "a", "b" }, new[] { "y" }).Output("y", 9);
        var e = Assert.Throws<InvalidOperationException>(() => GeneratorHarness.Compile(b.Build()));
        Assert.Contains("EAI0203", e.Message);
    }
}
