using System;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Trilu, EyeLike and Hardmax against ONNX Runtime.</summary>
public class MatrixOpTests
{
    /// <summary>Both triangles, diagonals inside and past the matrix, k as a run-time input and as a constant.</summary>
    [Theory]
    [InlineData(1, 0)] [InlineData(1, 2)] [InlineData(1, -1)] [InlineData(1, 9)] [InlineData(1, -7)]
    [InlineData(0, 0)] [InlineData(0, 3)] [InlineData(0, -2)] [InlineData(0, -9)]
    public void Trilu(int upper, long k)
    {
        var b = new OnnxBuilder(14).Input("x", 2, 4, 6).Typed("k", 7)
            .Node("Trilu", new[] { "x", "k" }, new[] { "y" }, A.Int("upper", upper)).Output("y");
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)OrtReference.RandomFloats(48, 1), new[] { 2, 4, 6 }), ("k", new[] { k }, Array.Empty<int>()) });

        var c = new OnnxBuilder(14).Typed("x", 7, 5, 3);
        c.Initializer("k", Array.Empty<int>(), new[] { k });
        c.Node("Trilu", new[] { "x", "k" }, new[] { "y" }, A.Int("upper", upper)).Output("y", 7);
        TypedInputs.AgainstOrt(c.Build(), new[] { ("x", (Array)TypedInputs.Longs(15, 2, -9, 9), new[] { 5, 3 }) });
    }

    [Theory]
    [InlineData(0, 1)] [InlineData(2, 1)] [InlineData(-1, 7)] [InlineData(-3, 6)]
    public void EyeLike(long k, int dtype)
    {
        var b = new OnnxBuilder(13).Input("x", 4, 5).Node("EyeLike", new[] { "x" }, new[] { "e" }, A.Int("k", k), A.Int("dtype", dtype)).Output("e", dtype);
        var outputs = TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)OrtReference.RandomFloats(20, 3), new[] { 4, 5 }) });
        Assert.Contains(outputs[0].Cast<object>(), v => Convert.ToDouble(v) == 1);
    }

    /// <summary>Over the last axis (opset 13), a middle axis, and flattened from axis 1 (opset 11); ties pick the first.</summary>
    [Theory]
    [InlineData(13, -1)] [InlineData(13, 1)] [InlineData(11, 1)]
    public void Hardmax(int opset, int axis)
    {
        var b = new OnnxBuilder(opset).Input("x", 3, 4, 5).Node("Hardmax", new[] { "x" }, new[] { "y" }, A.Int("axis", axis)).Output("y");
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)TypedInputs.GridFloats(60, 4, 1), new[] { 3, 4, 5 }) });
    }
}
