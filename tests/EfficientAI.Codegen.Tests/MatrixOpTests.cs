using System;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Trilu, EyeLike, Hardmax, Det and ReverseSequence against ONNX Runtime.</summary>
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

    /// <summary>A batch of 1x1, 2x2 and 5x5 matrices, one of them singular (rtol 1e-4, atol 1e-5).</summary>
    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(5)]
    public void Det(int n)
    {
        var x = OrtReference.RandomFloats(3 * 2 * n * n, n, 2f);
        for (int i = 0; i < n; i++) x[i * n] = x[i * n + (n > 1 ? 1 : 0)]; // matrix 0: two equal columns (or, for 1x1, any value)
        var b = new OnnxBuilder(13).Input("x", 3, 2, n, n).Node("Det", "x", "y").Output("y");
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)x, new[] { 3, 2, n, n }) });
    }

    [Theory]
    [InlineData(0, 1)] [InlineData(1, 0)]
    public void ReverseSequence(int timeAxis, int batchAxis)
    {
        int[] shape = timeAxis == 0 ? new[] { 5, 4, 3 } : new[] { 4, 5, 3 };
        var b = new OnnxBuilder(13).Input("x", shape).Typed("lens", 7, 4)
            .Node("ReverseSequence", new[] { "x", "lens" }, new[] { "y" }, A.Int("time_axis", timeAxis), A.Int("batch_axis", batchAxis)).Output("y");
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)OrtReference.RandomFloats(60, 3), shape), ("lens", new long[] { 5, 1, 3, 0 }, new[] { 4 }) });
    }
}
