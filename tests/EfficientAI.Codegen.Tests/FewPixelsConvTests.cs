using System.Threading;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// Convs with at most 8 output pixels run as pixels x weights packed at compile time (Conv.Conv2DFewPixels), those with
/// 512 KB+ of weights (up to 64 pixels) on weights laid out in read order (Conv.Conv2DFewPixelsStreamed); both give ONNX Runtime's outputs.
/// </summary>
public class FewPixelsConvTests
{
    private static string Source(byte[] model, string threads = "1") => ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", new EquatableArray<byte>(model), null),
        ModelOptions.Default("m.onnx") with { Threads = threads }), CancellationToken.None).Output.Sources[0].Text;

    [Fact]
    public void AudioTailMatchesOnnxRuntime()
    {
        // Silero VAD's encoder tail: 1-D Convs on 7, 4 and 2 frames, with Relu.
        var b = new OnnxBuilder(13).Input("x", 1, 65, 7);
        b.Initializer("w1", new[] { 128, 65, 3 }, OrtReference.RandomFloats(128 * 65 * 3, 1, 0.2f));
        b.Initializer("b1", new[] { 128 }, OrtReference.RandomFloats(128, 2));
        b.Initializer("w2", new[] { 64, 128, 3 }, OrtReference.RandomFloats(64 * 128 * 3, 3, 0.2f));
        b.Node("Conv", new[] { "x", "w1", "b1" }, new[] { "c1" }, A.Ints("pads", 1, 1)).Node("Relu", "c1", "r1");
        b.Node("Conv", new[] { "r1", "w2" }, new[] { "y" }, A.Ints("pads", 1, 1), A.Ints("strides", 2)).Output("y");
        var model = b.Build();
        Assert.Equal(2, Source(model).Split("Conv.Conv2DFewPixels(").Length - 1);
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, 65, 7 }) });
    }

    [Fact]
    public void LargeWeightsOnUpTo64PixelsMatchOnnxRuntime()
    {
        // ResNet's last stage in small: 7x7 pixels and 160 x 96 x 3 x 3 = 138,240 weights (540 KB) run there too, on
        // the streamed kernel (weights laid out as one stream: 864 deep in blocks of 256 + 96, channel groups 48 x 3 + 16);
        // the same Conv with fewer weights, and a 1x1 Conv on 8x8, stay on im2col.
        var b = new OnnxBuilder(13).Input("x", 1, 96, 7, 7);
        b.Initializer("w", new[] { 160, 96, 3, 3 }, OrtReference.RandomFloats(160 * 96 * 9, 1, 0.05f));
        b.Initializer("b", new[] { 160 }, OrtReference.RandomFloats(160, 2));
        b.Node("Conv", new[] { "x", "w", "b" }, new[] { "c" }, A.Ints("pads", 1, 1, 1, 1)).Node("Relu", "c", "y").Output("y");
        var model = b.Build();
        Assert.Contains("Conv.Conv2DFewPixelsStreamed(", Source(model));
        Assert.Contains("w_streamed", Source(model));
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, 96, 7, 7 }) });

        var small = new OnnxBuilder(13).Input("x", 1, 96, 7, 7);
        small.Initializer("w", new[] { 64, 96, 3, 3 }, OrtReference.RandomFloats(64 * 96 * 9, 1, 0.05f));
        small.Node("Conv", new[] { "x", "w" }, new[] { "y" }, A.Ints("pads", 1, 1, 1, 1)).Output("y");
        Assert.DoesNotContain("Conv.Conv2DFewPixels", Source(small.Build()));

        var pointwise = new OnnxBuilder(13).Input("x", 1, 512, 8, 8);
        pointwise.Initializer("w", new[] { 512, 512, 1, 1 }, OrtReference.RandomFloats(512 * 512, 1, 0.05f));
        pointwise.Node("Conv", new[] { "x", "w" }, new[] { "y" }).Output("y");
        Assert.DoesNotContain("Conv.Conv2DFewPixels", Source(pointwise.Build()));
    }

    [Fact]
    public void StreamedStrideTwoOddChannelsMatchOnnxRuntime()
    {
        // ResNet's 256->512 stride-2 entry to the 7x7 stage in small: 129 -> 131 channels 3x3 stride 2 from 14x14, no
        // bias, then Sigmoid (applied after the kernel's sums, not in registers); 131 channels pad to 144 (groups 48 x 3).
        var b = new OnnxBuilder(13).Input("x", 1, 129, 14, 14);
        b.Initializer("w", new[] { 131, 129, 3, 3 }, OrtReference.RandomFloats(131 * 129 * 9, 4, 0.05f));
        b.Node("Conv", new[] { "x", "w" }, new[] { "c" }, A.Ints("pads", 1, 1, 1, 1), A.Ints("strides", 2, 2)).Node("Sigmoid", "c", "y").Output("y");
        var model = b.Build();
        Assert.Contains("Conv.Conv2DFewPixelsStreamed(", Source(model));
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, 129, 14, 14 }) });
    }

    [Fact]
    public void StreamedSharedAmongThreadsMatchesOnnxRuntime()
    {
        // With Threads the streamed kernel shares its channel groups (ResNet-18's 7x7 stage): 6.8M MACs, four groups.
        var b = new OnnxBuilder(13).Input("x", 1, 96, 7, 7);
        b.Initializer("w", new[] { 160, 96, 3, 3 }, OrtReference.RandomFloats(160 * 96 * 9, 7, 0.05f));
        b.Node("Conv", new[] { "x", "w" }, new[] { "c" }, A.Ints("pads", 1, 1, 1, 1)).Node("Relu", "c", "y").Output("y");
        var model = b.Build();
        Assert.Contains("threads: 2);", Source(model, "2").Split("Conv.Conv2DFewPixelsStreamed(")[1]);
        var runner = ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, 96, 7, 7 }) }, metadata: new() { ["Threads"] = "2" });
        Assert.Equal(0, runner.Allocations(new System.Array[] { OrtReference.RandomFloats(96 * 49, 8) }, 50));
    }

    [Fact]
    public void StreamedResidualAddReluFusesAndMatchesOnnxRuntime()
    {
        // A ResNet block's second Conv in the 7x7 stage: Conv -> Add(residual) -> Relu is one streamed Conv whose epilogue
        // adds the residual and activates (ResidualAddFusion), writing over the residual's memory.
        var b = new OnnxBuilder(13).Input("x", 1, 128, 7, 7);
        b.Initializer("w", new[] { 128, 128, 3, 3 }, OrtReference.RandomFloats(128 * 128 * 9, 5, 0.05f));
        b.Initializer("b", new[] { 128 }, OrtReference.RandomFloats(128, 6));
        b.Node("Sigmoid", "x", "r");
        b.Node("Conv", new[] { "x", "w", "b" }, new[] { "c" }, A.Ints("pads", 1, 1, 1, 1)).Node("Add", new[] { "c", "r" }, new[] { "s" }).Node("Relu", "s", "y").Output("y");
        var model = b.Build();
        Assert.Equal(new[] { "Sigmoid", "Conv" }, FusionPassTests.Ops(model));
        Assert.Contains("Conv.Conv2DFewPixelsStreamed(", Source(model));
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, 128, 7, 7 }) });
    }

    [Fact]
    public void TwoDimensionalMatchesOnnxRuntime()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 24, 5, 6);
        b.Initializer("w", new[] { 32, 24, 3, 3 }, OrtReference.RandomFloats(32 * 24 * 9, 1, 0.2f));
        b.Node("Conv", new[] { "x", "w" }, new[] { "c" }, A.Ints("pads", 1, 1, 0, 0), A.Ints("strides", 2, 2)).Node("Sigmoid", "c", "y").Output("y");
        var model = b.Build();
        Assert.Contains("Conv.Conv2DFewPixels(", Source(model));
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 2, 24, 5, 6 }) });
    }
}
