using System.Threading;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>2-D depthwise Convs run on Conv.DepthwiseBlocked (16 channels per vector, or rows of a plane) and give ONNX Runtime's outputs.</summary>
public class DepthwiseConvTests
{
    private static string Source(byte[] model, string? threads = null)
    {
        var options = ModelOptions.Default("m.onnx");
        if (threads is not null) options = options with { Threads = threads };
        return ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", new EquatableArray<byte>(model), null), options),
            CancellationToken.None).Output.Sources[0].Text;
    }

    [Theory]
    [InlineData(24, 20, 20, 5, 1, 2, 2)] // BlazeFace's 5x5 block in small: 16 + 8 channels
    [InlineData(28, 17, 17, 5, 2, 1, 2)] // its stride-2 5x5, pads 1 before and 2 after, odd plane
    [InlineData(96, 8, 8, 5, 1, 2, 2)] // 8x8 planes: two rows per tile
    [InlineData(37, 9, 70, 3, 1, 1, 1)] // rows of 70 (the row kernel), 37 channels
    [InlineData(33, 13, 11, 3, 2, 1, 1)] // stride 2 with partial tiles
    public void MatchesOnnxRuntime(int c, int h, int w, int k, int stride, int padBegin, int padEnd)
    {
        var b = new OnnxBuilder(13).Input("x", 1, c, h, w);
        b.Initializer("w", new[] { c, 1, k, k }, OrtReference.RandomFloats(c * k * k, 1, 0.3f));
        b.Initializer("b", new[] { c }, OrtReference.RandomFloats(c, 2));
        b.Node("Conv", new[] { "x", "w", "b" }, new[] { "c" }, A.Int("group", c), A.Ints("pads", padBegin, padBegin, padEnd, padEnd),
            A.Ints("strides", stride, stride)).Node("Relu", "c", "y").Output("y");
        var model = b.Build();
        Assert.Contains("Conv.DepthwiseBlocked(", Source(model));
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, c, h, w }) });
    }

    [Fact]
    public void SharedAmongThreadsMatchesOnnxRuntime()
    {
        // 3.2M MACs: above the Threads option's 2M threshold, so the channel blocks are shared.
        var b = new OnnxBuilder(13).Input("x", 2, 40, 40, 40);
        b.Initializer("w", new[] { 40, 1, 5, 5 }, OrtReference.RandomFloats(40 * 25, 1, 0.3f));
        b.Node("Conv", new[] { "x", "w" }, new[] { "y" }, A.Int("group", 40), A.Ints("pads", 2, 2, 2, 2)).Output("y");
        var model = b.Build();
        Assert.Contains("threads: 2", Source(model, "2"));
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 2, 40, 40, 40 }) }, metadata: new() { ["Threads"] = "2" });
    }
}
