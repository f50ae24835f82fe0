using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>MaxPool with column stride 2 (Pool.MaxPool2D's vector path over padded column maxima) gives ONNX Runtime's outputs.</summary>
public class MaxPoolStride2Tests
{
    [Theory]
    [InlineData(64, 112, 112, 3, 1, 0)] // ResNet-18's pool after the first Conv
    [InlineData(3, 13, 45, 3, 1, 1)] // odd sizes, ceil mode: the last window reaches into the right padding
    [InlineData(5, 10, 66, 5, 2, 0)] // a 5x5 window: 33 outputs a row, two whole steps and one output
    public void MatchesOnnxRuntime(int c, int h, int w, int k, int pad, int ceil)
    {
        var b = new OnnxBuilder(13).Input("x", 1, c, h, w);
        b.Node("MaxPool", new[] { "x" }, new[] { "y" }, A.Ints("kernel_shape", k, k), A.Ints("strides", 2, 2),
            A.Ints("pads", pad, pad, pad, pad), A.Int("ceil_mode", ceil)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 1, c, h, w }) });
    }
}
