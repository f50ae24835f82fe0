using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>MaxPool 2x2 stride 2 (Pool.MaxPool2D's vector path: 16 outputs per step, rows of 8 two at a time) gives ONNX Runtime's outputs.</summary>
public class MaxPool2x2Tests
{
    [Theory]
    [InlineData(28, 64, 64)] // BlazeFace's first pool
    [InlineData(88, 16, 16)] // its last: rows of 8 outputs
    [InlineData(3, 9, 37)] // odd sizes: the last row and column dropped, a scalar tail
    [InlineData(2, 7, 16)] // an odd number of 8-wide output rows
    public void MatchesOnnxRuntime(int c, int h, int w)
    {
        var b = new OnnxBuilder(13).Input("x", 1, c, h, w);
        b.Node("MaxPool", new[] { "x" }, new[] { "y" }, A.Ints("kernel_shape", 2, 2), A.Ints("strides", 2, 2)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 1, c, h, w }) });
    }
}
