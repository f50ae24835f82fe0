using System.Linq;
using System.Threading;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Convs on 1-4 input channels (first layers) compile to the direct kernel (Conv.Conv2DDirect) and give ONNX Runtime's outputs.</summary>
public class DirectConvTests
{
    private static string Source(byte[] model) => ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", new EquatableArray<byte>(model), null),
        ModelOptions.Default("m.onnx")), CancellationToken.None).Output.Sources[0].Text;

    [Theory]
    [InlineData(3, 24, 5, 2, new long[] { 1, 1, 2, 2 }, 1, "Relu")] // BlazeFace's first layer, NCHW here
    [InlineData(4, 32, 3, 2, new long[] { 0, 0, 1, 1 }, 1, "Clip")] // M-LSD's first layer
    [InlineData(1, 7, 3, 1, new long[] { 1, 2, 1, 0 }, 2, null)] // one channel, dilated, asymmetric pads, 7 filters (a 1-row tile)
    [InlineData(2, 16, 7, 3, new long[] { 3, 3, 3, 3 }, 1, "Sigmoid")] // stride 3: nine phase planes per channel
    public void MatchesOnnxRuntime(int c, int m, int k, int stride, long[] pads, int dilation, string? activation)
    {
        var x = new[] { 2, c, 37, 100 };
        var b = new OnnxBuilder(13).Input("x", x);
        b.Initializer("w", new[] { m, c, k, k }, OrtReference.RandomFloats(m * c * k * k, 7, 0.3f));
        b.Initializer("b", new[] { m }, OrtReference.RandomFloats(m, 8));
        b.Node("Conv", new[] { "x", "w", "b" }, new[] { activation is null ? "y" : "c" }, A.Ints("pads", pads), A.Ints("strides", stride, stride),
            A.Ints("dilations", dilation, dilation));
        if (activation == "Clip") { b.Initializer("lo", System.Array.Empty<int>(), new[] { 0f }); b.Initializer("hi", System.Array.Empty<int>(), new[] { 6f }); }
        if (activation is not null) b.Node(activation, activation == "Clip" ? new[] { "c", "lo", "hi" } : new[] { "c" }, new[] { "y" });
        b.Output("y");
        var model = b.Build();
        Assert.Contains("Conv.Conv2DDirect(", Source(model));
        ModelCheck.AgainstOrt(model, new[] { ("x", x) });
    }

    [Theory]
    [InlineData(5, 40)] // five channels
    [InlineData(3, 12)] // output rows narrower than the kernel's 32-column tiles
    public void OthersKeepIm2Col(int c, int width)
    {
        var b = new OnnxBuilder(13).Input("x", 1, c, 12, width);
        b.Initializer("w", new[] { 8, c, 3, 3 }, OrtReference.RandomFloats(8 * c * 9, 7, 0.3f));
        b.Node("Conv", new[] { "x", "w" }, new[] { "y" }, A.Ints("pads", 1, 1, 1, 1)).Output("y");
        var source = Source(b.Build());
        Assert.DoesNotContain("Conv2DDirect", source);
        Assert.Contains("Conv.Conv2D(", source);
    }
}
