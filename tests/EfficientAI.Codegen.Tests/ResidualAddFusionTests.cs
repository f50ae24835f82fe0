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

        // A residual of another shape than the Conv's output (the Add broadcasts it along the rows): an Add of its own.
        var rows = new OnnxBuilder(13).Input("x", 1, 8, 10, 10).Input("r", 1, 8, 1, 10);
        rows.Initializer("w", new[] { 8, 8, 3, 3 }, W(576, 2));
        rows.Node("Conv", new[] { "x", "w" }, new[] { "p" }, A.Ints("pads", 1, 1, 1, 1)).Node("Add", new[] { "p", "r" }, new[] { "y" }).Output("y");
        Assert.Contains("Add", FusionPassTests.Ops(rows.Build()));

        // Kernels that take no residual: few pixels (3x3 on 2x2), the direct first-layer kernel (3 channels, 40 wide),
        // depthwise; and a 3x3 Conv with an activation of its own before the Add.
        foreach (var (c, m, side, group, relu) in new[] { (16, 32, 2, 1, false), (3, 8, 40, 1, false), (8, 8, 10, 8, false), (8, 8, 10, 1, true) })
        {
            var k = new OnnxBuilder(13).Input("x", 1, c, side, side).Input("r", 1, m, side, side);
            k.Initializer("w", new[] { m, c / group, 3, 3 }, W(m * c / group * 9, 2));
            k.Node("Conv", new[] { "x", "w" }, new[] { relu ? "c" : "p" }, A.Ints("pads", 1, 1, 1, 1), A.Int("group", group));
            if (relu) k.Node("Relu", "c", "p");
            k.Node("Add", new[] { "p", "r" }, new[] { "y" }).Output("y");
            var model = k.Build();
            Assert.Contains("Add", FusionPassTests.Ops(model));
            ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, c, side, side }), ("r", new[] { 1, m, side, side }) });
        }
    }

    /// <summary>ResNet's basic block: x -> Conv 3x3 -> Relu -> Conv 3x3 -> Add(x) -> Relu, its second Conv on Winograd (28x28) or im2col (14x14, 10x9).</summary>
    private static byte[] BasicBlock(int c, int h, int w, bool residualFirst = false, bool readResidualAfter = false)
    {
        var b = new OnnxBuilder(13).Input("x", 1, c, h, w);
        b.Node("Relu", "x", "a");
        b.Node("Conv", new[] { "a", b.Initializer("w1", new[] { c, c, 3, 3 }, W(c * c * 9, 5)), b.Initializer("b1", new[] { c }, W(c, 6)) }, new[] { "c1" },
            A.Ints("pads", 1, 1, 1, 1)).Node("Relu", "c1", "r1");
        b.Node("Conv", new[] { "r1", b.Initializer("w2", new[] { c, c, 3, 3 }, W(c * c * 9, 7)), b.Initializer("b2", new[] { c }, W(c, 8)) }, new[] { "c2" },
            A.Ints("pads", 1, 1, 1, 1));
        b.Node("Add", residualFirst ? new[] { "a", "c2" } : new[] { "c2", "a" }, new[] { "s" }).Node("Relu", "s", "y").Output("y");
        // The residual read again after the Add: the Conv must not write its output over it.
        if (readResidualAfter) b.Node("Sigmoid", "a", "z").Output("z");
        return b.Build();
    }

    [Theory]
    [InlineData(48, 14, 14, true, false)]
    [InlineData(24, 10, 9, false, true)] // odd sizes, the residual used again after the Add
    public void ResNetBlocksFuseIntoIm2Col(int c, int h, int w, bool residualFirst, bool readResidualAfter)
    {
        var model = BasicBlock(c, h, w, residualFirst, readResidualAfter);
        var result = FusionPassTests.Compile(model);
        Assert.DoesNotContain("Add", result.Graph!.Nodes.Select(n => n.OpType));
        var fused = result.Graph.Nodes.Single(n => n.Inputs.Count == 4);
        Assert.Equal(new[] { "Add", "Relu" }, fused.Fused.Where(f => f is "Add" or "Relu"));
        Assert.Contains(", residual: ", result.Output.Sources[0].Text);
        Assert.Contains("Conv2D(", result.Output.Sources[0].Text);
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, c, h, w }) }, atol: 1e-5 * c * 9);
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, c, h, w }) }, atol: 1e-5 * c * 9, metadata: new Dictionary<string, string> { ["Threads"] = "2" });
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, c, h, w }) }, atol: 1e-5 * c * 9, metadata: new Dictionary<string, string> { ["DisabledPasses"] = "ResidualAddFusion" });
    }

    [Fact]
    public void WinogradBlocksKeepTheAdd()
    {
        // 28x28: the second Conv runs on Winograd, whose fused residual measured slower than the Add and Relu.
        var model = BasicBlock(32, 28, 28);
        var result = FusionPassTests.Compile(model);
        Assert.Contains("Add", result.Graph!.Nodes.Select(n => n.OpType));
        Assert.DoesNotContain(", residual: ", result.Output.Sources[0].Text);
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, 32, 28, 28 }) }, atol: 1e-5 * 32 * 9);
    }

    [Fact]
    public void StridedAndPaddedOneByOneConvsRunOnIm2Col()
    {
        // A strided 1x1 and a padded 1x1 with a residual of their output's shape: not Conv.Pointwise's GEMM on the
        // input as stored, so the im2col kernel takes the residual.
        foreach (var (side, attrs) in new[] { (3, A.Ints("strides", 2, 2)), (8, A.Ints("pads", 1, 1, 1, 1)) })
        {
            var k = new OnnxBuilder(13).Input("x", 1, 8, 6, 6).Input("r", 1, 8, side, side);
            k.Initializer("w", new[] { 8, 8, 1, 1 }, W(64, 2));
            k.Node("Conv", new[] { "x", "w" }, new[] { "p" }, attrs).Node("Add", new[] { "p", "r" }, new[] { "y" }).Output("y");
            var model = k.Build();
            var result = FusionPassTests.Compile(model);
            Assert.DoesNotContain("Add", result.Graph!.Nodes.Select(n => n.OpType));
            Assert.Contains("Conv2D(", result.Output.Sources[0].Text);
            FusionPassTests.SameWithPassesOnAndOff(model, ("x", new[] { 1, 8, 6, 6 }), ("r", new[] { 1, 8, side, side }));
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
        // A 1x1 Conv large enough to be shared among threads stays on the threaded kernel (9.4M MACs).
        var big = Block(96, 96, 32).Build();
        var result = ModelCompilerFor(big, threads: "2");
        Assert.Contains("Add", result.Graph!.Nodes.Select(n => n.OpType));
        // Below 8M MACs (2.4M here) the fused serial kernel beats the split one (BlazeFace's blocks): the Add is fused.
        var medium = ModelCompilerFor(Block(48, 48, 32).Build(), threads: "2");
        Assert.DoesNotContain("Add", medium.Graph!.Nodes.Select(n => n.OpType));
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
