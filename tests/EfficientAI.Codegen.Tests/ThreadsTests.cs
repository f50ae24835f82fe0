using System.Collections.Generic;
using System.Linq;
using System.Threading;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>The Threads option: large Convs shared among threads give ONNX Runtime's outputs, allocate nothing, and small ones stay serial.</summary>
public class ThreadsTests
{
    private static readonly Dictionary<string, string> s_twoThreads = new() { ["Threads"] = "2" };

    private static byte[] Model()
    {
        // A 3x3 Conv (18.9M MACs), a 5x5 depthwise Conv (3.3M MACs) and a 1x1 Conv below the 2M threshold (0.5M).
        var b = new OnnxBuilder(13).Input("x", 1, 16, 64, 64);
        b.Initializer("w", new[] { 32, 16, 3, 3 }, OrtReference.RandomFloats(32 * 16 * 9, 1, 0.3f));
        b.Initializer("dw", new[] { 32, 1, 5, 5 }, OrtReference.RandomFloats(32 * 25, 2, 0.3f));
        b.Initializer("pw", new[] { 4, 32, 1, 1 }, OrtReference.RandomFloats(128, 3, 0.3f));
        b.Node("Conv", new[] { "x", "w" }, new[] { "a" }, A.Ints("pads", 1, 1, 1, 1)).Node("Relu", "a", "r");
        b.Node("Conv", new[] { "r", "dw" }, new[] { "d" }, A.Ints("pads", 2, 2, 2, 2), A.Int("group", 32));
        b.Node("Conv", new[] { "d", "pw" }, new[] { "y" }).Output("y");
        return b.Build();
    }

    [Fact]
    public void LargeConvsShareTheWork_AndMatchOnnxRuntime()
    {
        var model = Model();
        var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", new EquatableArray<byte>(model), null),
            ModelOptions.Default("m.onnx") with { Threads = "2" }), CancellationToken.None);
        var source = result.Output.Sources[0].Text;
        Assert.Equal(2, source.Split("threads: 2").Length - 1); // the two large Convs, not the 1x1
        var runner = ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, 16, 64, 64 }) }, metadata: s_twoThreads);
        Assert.Equal(0, runner.Allocations(new System.Array[] { OrtReference.RandomFloats(16 * 64 * 64, 4) }, 100));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("two")]
    public void BadThreadCountIsEAI0003(string threads)
    {
        var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", new EquatableArray<byte>(Model()), null),
            ModelOptions.Default("m.onnx") with { Threads = threads }), CancellationToken.None);
        var error = Assert.Single(result.Output.Diagnostics, d => d.IsError);
        Assert.Equal("EAI0003", error.Id);
        Assert.Contains("Threads", error.Format());
    }
}
