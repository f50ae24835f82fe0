using System.Linq;
using System.Threading;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// 3x3 stride-1 Convs with 16+ channels compile to Winograd F(4x4, 3x3) (weights transformed at compile time) and give
/// ONNX Runtime's outputs; the others keep im2col.
/// </summary>
public class WinogradConvTests
{
    private static byte[] Model(int[] x, int[] w, long[] pads, long dilation, bool bias, string? activation)
    {
        var b = new OnnxBuilder(13).Input("x", x);
        b.Initializer("w", w, OrtReference.RandomFloats(w.Aggregate(1, (p, q) => p * q), 7, 0.3f));
        var inputs = bias ? new[] { "x", "w", b.Initializer("b", new[] { w[0] }, OrtReference.RandomFloats(w[0], 8)) } : new[] { "x", "w" };
        b.Node("Conv", inputs, new[] { activation is null ? "y" : "c" }, A.Ints("pads", pads), A.Ints("dilations", dilation, dilation));
        if (activation is not null) b.Node(activation, "c", "y");
        b.Output("y");
        return b.Build();
    }

    private static string Source(byte[] model) => ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", new EquatableArray<byte>(model), null),
        ModelOptions.Default("m.onnx")), CancellationToken.None).Output.Sources[0].Text;

    [Theory]
    [InlineData(new[] { 1, 16, 35, 33 }, 20, new long[] { 1, 1, 1, 1 }, 1, true, "Relu")] // tiles cut by the bottom and right edges
    [InlineData(new[] { 2, 24, 34, 33 }, 16, new long[] { 0, 1, 2, 0 }, 1, false, null)] // asymmetric pads, two images
    [InlineData(new[] { 1, 16, 36, 35 }, 16, new long[] { 2, 2, 2, 2 }, 2, true, "LeakyRelu")] // dilated: four sub-grids
    [InlineData(new[] { 1, 32, 40, 40 }, 16, new long[] { 5, 5, 5, 5 }, 5, true, "Sigmoid")] // M-LSD's dilation 5, activation after the tiles
    [InlineData(new[] { 1, 16, 28, 28 }, 24, new long[] { 1, 1, 1, 1 }, 1, true, "Relu")] // 28x28 (7 tiles a row: three segments per panel)
    [InlineData(new[] { 1, 16, 20, 90 }, 16, new long[] { 1, 1, 1, 1 }, 1, false, null)] // rows of 23 tiles, interior loads
    public void MatchesOnnxRuntime(int[] x, int m, long[] pads, long dilation, bool bias, string? activation)
    {
        var model = Model(x, new[] { m, x[1], 3, 3 }, pads, dilation, bias, activation);
        Assert.Contains("Conv.Conv2DWinograd(", Source(model));
        // Winograd rounds differently from a direct sum (the transforms scale intermediates by up to 8x): the
        // runtime tests bound its error by 1e-5 of the sum of |terms|, here at most c * 9 * 0.3 * 1 (<= 87), so an
        // output that cancels to near zero may be off by up to ~1e-4 absolute while the relative 1e-4 holds elsewhere.
        ModelCheck.AgainstOrt(model, new[] { ("x", x) }, atol: 1e-5 * x[1] * 9 * 0.3, scale: 1f);
    }

    [Fact]
    public void FewPixelsKeepIm2Col()
    {
        // 27 x 27 = 729 output pixels: the 4x larger transformed weights (ROM) would buy too little time; 28 x 28 = 784
        // (ResNet-18's second stage) runs Winograd.
        var model = Model(new[] { 1, 32, 27, 27 }, new[] { 32, 32, 3, 3 }, new long[] { 1, 1, 1, 1 }, 1, true, null);
        Assert.DoesNotContain("Conv2DWinograd", Source(model));
        Assert.Contains("Conv2DWinograd", Source(Model(new[] { 1, 32, 28, 28 }, new[] { 32, 32, 3, 3 }, new long[] { 1, 1, 1, 1 }, 1, true, null)));
    }

    [Theory]
    [InlineData(8, 16)] // too few input channels
    [InlineData(16, 8)] // too few output channels
    public void FewChannelsKeepIm2Col(int c, int m)
    {
        var model = Model(new[] { 1, c, 40, 40 }, new[] { m, c, 3, 3 }, new long[] { 1, 1, 1, 1 }, 1, true, null);
        var source = Source(model);
        Assert.DoesNotContain("Conv2DWinograd", source);
        Assert.Contains("Conv.Conv2D(", source);
    }
}
