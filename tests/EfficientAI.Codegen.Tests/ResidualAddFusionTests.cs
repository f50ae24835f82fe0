using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>ResidualAddFusion: a 1x1 Conv -> Add(residual) [-> activation] becomes one Conv reading the residual in its epilogue (Conv.Pointwise).</summary>
public class ResidualAddFusionTests
{
    private static float[] W(int n, int seed) => OrtReference.RandomFloats(n, seed, 0.3f);

    /// <summary>BlazeFace's block: depthwise 3x3 -> 1x1 (c -> m) -> Add(block input, or a channel-padded one) -> activation.</summary>
    private static OnnxBuilder Block(int c, int m, int h, string? activation = "Relu", bool residualFirst = false, bool bias = true)
    {
        var b = new OnnxBuilder(13).Input("x", 1, c, h, h);
        b.Initializer("dw", new[] { c, 1, 3, 3 }, W(c * 9, 1));
        b.Initializer("pw", new[] { m, c, 1, 1 }, W(m * c, 2));
        b.Node("Conv", new[] { "x", "dw" }, new[] { "d" }, A.Int("group", c), A.Ints("pads", 1, 1, 1, 1));
        b.Node("Conv", bias ? new[] { "d", "pw", b.Initializer("pb", new[] { m }, W(m, 3)) } : new[] { "d", "pw" }, new[] { "p" });
        string residual = "x";
        if (m > c)
        {
            // The channel padding BlazeFace puts on the residual path.
            b.Node("Pad", new[] { "x", b.Initializer("pads", new[] { 8 }, new long[] { 0, 0, 0, 0, 0, m - c, 0, 0 }) }, new[] { "xp" });
            residual = "xp";
        }
        b.Node("Add", residualFirst ? new[] { residual, "p" } : new[] { "p", residual }, new[] { "s" });
        if (activation is null) b.Output("s");
        else b.Node(activation, "s", "y").Output("y");
        return b;
    }

    [Theory]
    [InlineData(24, 24, 16, "Relu", false, true)]
    [InlineData(24, 28, 16, "Relu", true, true)] // residual first, channel-padded
    [InlineData(96, 96, 8, null, false, false)] // no activation, no bias
    [InlineData(13, 13, 7, "LeakyRelu", false, true)] // odd sizes
    [InlineData(16, 16, 9, "Sigmoid", false, true)] // an activation applied after the kernel
    public void FusesAndMatchesOnnxRuntime(int c, int m, int h, string? activation, bool residualFirst, bool bias)
    {
        var model = Block(c, m, h, activation, residualFirst, bias).Build();
        var result = FusionPassTests.Compile(model);
        var ops = result.Graph!.Nodes.Select(n => n.OpType).ToArray();
        Assert.DoesNotContain("Add", ops);
        if (activation is not null) Assert.DoesNotContain(activation, ops);
        var fused = result.Graph.Nodes.Single(n => n.Inputs.Count == 4);
        Assert.Equal(activation is null ? new[] { "Add" } : new[] { "Add", activation }, fused.Fused);
        Assert.Contains("Conv.Pointwise(", result.Output.Sources[0].Text);
        // Before: the same model with the pass off keeps the Add.
        Assert.Contains("Add", FusionPassTests.Ops(model, "ResidualAddFusion"));
        FusionPassTests.SameWithPassesOnAndOff(model, ("x", new[] { 1, c, h, h }));
    }

    [Fact]
    public void NearMissesStay()
    {
        // The Conv's output read twice (by the Add and a graph output).
        var b = Block(8, 8, 6, "Relu");
        b.Output("p");
        Assert.Contains("Add", FusionPassTests.Ops(b.Build()));

        // The Conv's own input as the residual (directly and through a Reshape): the output takes the residual's memory, which the Conv still reads.
        var own = new OnnxBuilder(13).Input("x", 1, 8, 6, 6);
        own.Initializer("pw", new[] { 8, 8, 1, 1 }, W(64, 2));
        own.Node("Relu", "x", "r").Node("Conv", new[] { "r", "pw" }, new[] { "p" }).Node("Add", new[] { "p", "r" }, new[] { "y" }).Output("y");
        var ownModel = own.Build();
        Assert.Contains("Add", FusionPassTests.Ops(ownModel));
        ModelCheck.AgainstOrt(ownModel, new[] { ("x", new[] { 1, 8, 6, 6 }) });
        var viewed = new OnnxBuilder(13).Input("x", 1, 8, 36);
        viewed.Initializer("pw", new[] { 8, 8, 1, 1 }, W(64, 2));
        viewed.Initializer("shape", new[] { 4 }, new long[] { 1, 8, 6, 6 });
        viewed.Node("Relu", "x", "r").Node("Reshape", new[] { "r", "shape" }, new[] { "v" }).Node("Reshape", new[] { "r", "shape" }, new[] { "v2" });
        viewed.Node("Conv", new[] { "v", "pw" }, new[] { "p" }).Node("Add", new[] { "p", "v2" }, new[] { "y" }).Output("y");
        Assert.Contains("Add", FusionPassTests.Ops(viewed.Build(), "CommonSubexpressionElimination"));

        // A residual that broadcasts ([1, 8, 1, 1]): an Add of its own.
        var bc = new OnnxBuilder(13).Input("x", 1, 8, 6, 6).Input("r", 1, 8, 1, 1);
        bc.Initializer("pw", new[] { 8, 8, 1, 1 }, W(64, 2));
        bc.Node("Conv", new[] { "x", "pw" }, new[] { "p" }).Node("Add", new[] { "p", "r" }, new[] { "y" }).Output("y");
        Assert.Contains("Add", FusionPassTests.Ops(bc.Build()));

        // A 3x3 Conv, a strided 1x1 and a padded 1x1 (each with a residual of its output's shape): not a GEMM on the input as stored.
        foreach (var (kernel, side, attrs) in new[] { (3, 6, A.Ints("pads", 1, 1, 1, 1)), (1, 3, A.Ints("strides", 2, 2)), (1, 8, A.Ints("pads", 1, 1, 1, 1)) })
        {
            var k = new OnnxBuilder(13).Input("x", 1, 8, 6, 6).Input("r", 1, 8, side, side);
            k.Initializer("w", new[] { 8, 8, kernel, kernel }, W(64 * kernel * kernel, 2));
            k.Node("Conv", new[] { "x", "w" }, new[] { "p" }, attrs).Node("Add", new[] { "p", "r" }, new[] { "y" }).Output("y");
            Assert.Contains("Add", FusionPassTests.Ops(k.Build()));
        }

    }

    [Fact]
    public void AnAddOfTwoConvsTakesOneOfThem()
    {
        // Silero VAD's pattern: both operands of the Add are 1x1 Convs; one becomes the other's residual.
        var b = new OnnxBuilder(13).Input("x", 1, 8, 6, 6);
        b.Initializer("w1", new[] { 8, 8, 1, 1 }, W(64, 2));
        b.Initializer("w2", new[] { 8, 8, 1, 1 }, W(64, 3));
        b.Node("Conv", new[] { "x", "w1" }, new[] { "p" }).Node("Conv", new[] { "x", "w2" }, new[] { "q" });
        b.Node("Add", new[] { "p", "q" }, new[] { "s" }).Node("Relu", "s", "y").Output("y");
        var model = b.Build();
        var graph = FusionPassTests.Compile(model).Graph!;
        Assert.Equal(new[] { "Conv", "Conv" }, graph.Nodes.Select(n => n.OpType));
        Assert.Single(graph.Nodes, n => n.Inputs.Count == 4);
        FusionPassTests.SameWithPassesOnAndOff(model, ("x", new[] { 1, 8, 6, 6 }));
    }

    [Fact]
    public void AResidualComputedAfterTheConvMovesTheConvToTheAdd()
    {
        var late = new OnnxBuilder(13).Input("x", 1, 8, 6, 6);
        late.Initializer("pw", new[] { 8, 8, 1, 1 }, W(64, 2));
        late.Node("Conv", new[] { "x", "pw" }, new[] { "p" }).Node("Sigmoid", "x", "r").Node("Add", new[] { "p", "r" }, new[] { "y" }).Output("y");
        var model = late.Build();
        Assert.Equal(new[] { "Sigmoid", "Conv" }, FusionPassTests.Ops(model));
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, 8, 6, 6 }) });
    }

    [Fact]
    public void Int8LayersAndTheThreadsOptionKeepTheAdd()
    {
        var model = Block(24, 24, 16).Build();
        // A 1x1 Conv large enough to be shared among threads stays on the threaded kernel (2.4M MACs).
        var big = Block(48, 48, 32).Build();
        var result = ModelCompilerFor(big, threads: "2");
        Assert.Contains("Add", result.Graph!.Nodes.Select(n => n.OpType));
        // Quantize="int8": the Conv is an int8 layer, not a float Conv.
        var int8 = ModelCompilerFor(model, quantize: "int8");
        Assert.DoesNotContain(int8.Graph!.Nodes, n => n.OpType == "Conv" && n.Inputs.Count == 4);
    }

    private static ModelCompiler.Result ModelCompilerFor(byte[] model, string? threads = null, string? quantize = null)
    {
        var options = ModelOptions.Default("m.onnx");
        if (threads is not null) options = options with { Threads = threads };
        if (quantize is not null) options = options with { Quantize = quantize };
        return ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", new EquatableArray<byte>(model), null), options),
            System.Threading.CancellationToken.None);
    }

    [Fact]
    public void QdqExportWritesConvThenAdd()
    {
        var result = ModelCompilerFor(Block(24, 24, 16).Build());
        Assert.Contains(result.Graph!.Nodes, n => n.Inputs.Count == 4);
        var proto = Onnx.QdqExport.Write(result.Graph);
        Assert.All(proto.Graph.Node.Where(n => n.OpType == "Conv"), n => Assert.True(n.Input.Count <= 3));
        Assert.Contains(proto.Graph.Node, n => n.OpType == "Add");
    }
}
