using System.Collections.Generic;
using System.Linq;
using System.Threading;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Each pass on a small graph: the graph after it, and the same outputs as ONNX Runtime with passes on and off.</summary>
public class PassTests
{
    private static ModelCompiler.Result Compile(byte[] model, string disabled = "")
    {
        var options = ModelOptions.Default("m.onnx") with { DisabledPasses = disabled };
        var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", new EquatableArray<byte>(model), null), options), CancellationToken.None);
        Assert.DoesNotContain(result.Output.Diagnostics, d => d.IsError);
        return result;
    }

    private static string[] Ops(byte[] model, string disabled = "") => Compile(model, disabled).Graph!.Nodes.Select(n => n.OpType).ToArray();

    /// <summary>Outputs match ONNX Runtime both with every optional pass and with none.</summary>
    private static void SameWithPassesOnAndOff(byte[] model, params (string, int[])[] inputs)
    {
        ModelCheck.AgainstOrt(model, inputs);
        ModelCheck.AgainstOrt(model, inputs, metadata: new Dictionary<string, string> { ["DisabledPasses"] = "all" });
    }

    private static float[] W(int n, int seed) => OrtReference.RandomFloats(n, seed, 0.5f);

    [Fact]
    public void ConvBatchNormFolds()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 3, 8, 8);
        b.Initializer("w", new[] { 4, 3, 3, 3 }, W(108, 1));
        b.Initializer("s", new[] { 4 }, W(4, 2)); b.Initializer("bb", new[] { 4 }, W(4, 3));
        b.Initializer("m", new[] { 4 }, W(4, 4)); b.Initializer("v", new[] { 4 }, W(4, 5).Select(x => x * x + 0.1f).ToArray());
        b.Node("Conv", new[] { "x", "w" }, new[] { "c" }, A.Ints("pads", 1, 1, 1, 1));
        b.Node("BatchNormalization", new[] { "c", "s", "bb", "m", "v" }, new[] { "n" }).Node("Relu", "n", "y").Output("y");
        var model = b.Build();
        Assert.Equal(new[] { "Conv" }, Ops(model)); // the Relu rides as the Conv's epilogue (ActivationFusion)
        Assert.Equal(new[] { "Conv", "Relu" }, Ops(model, "ActivationFusion"));
        Assert.Equal(new[] { "Conv", "BatchNormalization", "Relu" }, Ops(model, "ConvBatchNormFusion"));
        SameWithPassesOnAndOff(model, ("x", new[] { 1, 3, 8, 8 }));
    }

    [Fact]
    public void ConvBatchNormKeptWhenConvOutputIsAlsoUsedElsewhere()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 2, 5, 5);
        b.Initializer("w", new[] { 2, 2, 1, 1 }, W(4, 1));
        foreach (var p in new[] { "s", "bb", "m" }) b.Initializer(p, new[] { 2 }, W(2, p[0]));
        b.Initializer("v", new[] { 2 }, new[] { 1f, 2f });
        b.Node("Conv", new[] { "x", "w" }, new[] { "c" }).Node("BatchNormalization", new[] { "c", "s", "bb", "m", "v" }, new[] { "n" });
        b.Node("Add", new[] { "c", "n" }, new[] { "y" }).Output("y");
        Assert.Contains("BatchNormalization", Ops(b.Build()));
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 1, 2, 5, 5 }));
    }

    [Fact]
    public void MatMulAddBecomesGemm()
    {
        var b = new OnnxBuilder(13).Input("x", 3, 6);
        b.Initializer("w", new[] { 6, 4 }, W(24, 1)); b.Initializer("bias", new[] { 4 }, W(4, 2));
        b.Node("MatMul", new[] { "x", "w" }, new[] { "h" }).Node("Add", new[] { "bias", "h" }, new[] { "y" }).Output("y");
        Assert.Equal(new[] { "Gemm" }, Ops(b.Build()));
        Assert.Equal(new[] { "MatMul", "Add" }, Ops(b.Build(), "MatMulAddToGemm"));
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 3, 6 }));
    }

    [Fact]
    public void MatMulAddKeptForBatchedWeights()
    {
        // A different weight matrix per batch: no single Gemm computes it.
        var b = new OnnxBuilder(13).Input("x", 2, 3, 6);
        b.Initializer("w", new[] { 2, 6, 4 }, W(48, 1)); b.Initializer("bias", new[] { 4 }, W(4, 2));
        b.Node("MatMul", new[] { "x", "w" }, new[] { "h" }).Node("Add", new[] { "h", "bias" }, new[] { "y" }).Output("y");
        Assert.Equal(new[] { "MatMul", "Add" }, Ops(b.Build()));
    }

    [Fact]
    public void TransposePairsCancelOrCompose()
    {
        var cancel = new OnnxBuilder(13).Input("x", 2, 3, 4);
        cancel.Node("Transpose", "x", "t", A.Ints("perm", 0, 2, 1)).Node("Transpose", "t", "u", A.Ints("perm", 0, 2, 1)).Node("Relu", "u", "y").Output("y");
        Assert.Equal(new[] { "Relu" }, Ops(cancel.Build()));
        SameWithPassesOnAndOff(cancel.Build(), ("x", new[] { 2, 3, 4 }));

        var compose = new OnnxBuilder(13).Input("x", 2, 3, 4);
        compose.Node("Transpose", "x", "t", A.Ints("perm", 1, 2, 0)).Node("Transpose", "t", "y", A.Ints("perm", 0, 2, 1)).Output("y");
        Assert.Equal(new[] { "Transpose" }, Ops(compose.Build()));
        SameWithPassesOnAndOff(compose.Build(), ("x", new[] { 2, 3, 4 }));
    }

    [Theory]
    [InlineData(3, 8, 1, 1, 0)] // an RGB image into a 3x3 stride-1 Conv
    [InlineData(3, 16, 2, 1, 1)] // stride 2, asymmetric padding
    [InlineData(8, 8, 1, 2, 0)] // grouped (not depthwise), dilated
    public void NhwcInputTransposeFoldsIntoConv(int channels, int filters, int stride, int group, int padEnd)
    {
        // The Transpose's output feeds two Convs: both read NHWC and the Transpose goes.
        var b = new OnnxBuilder(13).Input("x", 2, 11, 13, channels);
        b.Initializer("w", new[] { filters, channels / group, 3, 3 }, W(filters * channels / group * 9, 1));
        b.Initializer("b", new[] { filters }, W(filters, 2));
        b.Initializer("w1", new[] { 4, channels, 1, 1 }, W(4 * channels, 3));
        b.Node("Transpose", "x", "t", A.Ints("perm", 0, 3, 1, 2));
        b.Node("Conv", new[] { "t", "w", "b" }, new[] { "c" }, A.Ints("pads", 1, 0, padEnd, 1), A.Ints("strides", stride, stride),
            A.Int("group", group), A.Ints("dilations", group, 1));
        b.Node("Relu", "c", "y").Output("y");
        b.Node("Conv", new[] { "t", "w1" }, new[] { "z" }).Output("z");
        var model = b.Build();
        var result = Compile(model);
        Assert.DoesNotContain("Transpose", result.Graph!.Nodes.Select(n => n.OpType));
        Assert.All(result.Graph.Nodes, n => Assert.True(n.ChannelsLastInput));
        Assert.Contains("channelsLast: true", result.Output.Sources[0].Text);
        Assert.Contains("Transpose", Ops(model, "ChannelsLastConvInput"));
        SameWithPassesOnAndOff(model, ("x", new[] { 2, 11, 13, channels }));
    }

    [Fact]
    public void NhwcTransposeStaysForDepthwiseConvsAndOtherReaders()
    {
        var depthwise = new OnnxBuilder(13).Input("x", 1, 6, 6, 4);
        depthwise.Initializer("w", new[] { 4, 1, 3, 3 }, W(36, 1));
        depthwise.Node("Transpose", "x", "t", A.Ints("perm", 0, 3, 1, 2)).Node("Conv", new[] { "t", "w" }, new[] { "y" }, A.Int("group", 4)).Output("y");
        Assert.Equal(new[] { "Transpose", "Conv" }, Ops(depthwise.Build()));

        var shared = new OnnxBuilder(13).Input("x", 1, 6, 6, 4);
        shared.Initializer("w", new[] { 2, 4, 3, 3 }, W(72, 1));
        shared.Node("Transpose", "x", "t", A.Ints("perm", 0, 3, 1, 2)).Node("Conv", new[] { "t", "w" }, new[] { "y" }).Output("y");
        shared.Node("Relu", "t", "r").Output("r");
        Assert.Equal(new[] { "Transpose", "Conv", "Relu" }, Ops(shared.Build()));
        SameWithPassesOnAndOff(shared.Build(), ("x", new[] { 1, 6, 6, 4 }));
    }

    [Theory]
    [InlineData(1)] // channel padding (TensorFlow's Pad exported as Concat with zeros): one block
    [InlineData(3)] // the constant block between rows of the runtime input
    public void SplatConstantInConcatIsFilledNotEmbedded(int axis)
    {
        var b = new OnnxBuilder(13).Input("x", 1, 4, 6, 6);
        var shape = new[] { 1, 4, 6, 6 };
        shape[axis] = 5;
        b.Initializer("shape", new[] { 4 }, shape.Select(d => (long)d).ToArray());
        b.Node("ConstantOfShape", new[] { "shape" }, new[] { "zeros" }, A.Tensor("value", new Onnx.Proto.TensorProto { DataType = 1, Dims = { 1 }, FloatData = { 0.25f } }));
        b.Node("Concat", new[] { "x", "zeros" }, new[] { "y" }, A.Int("axis", axis)).Output("y");
        var result = Compile(b.Build());
        Assert.Equal(0, result.Figures!.WeightBytes);
        Assert.Contains(".Fill(0.25f)", result.Output.Sources[0].Text);
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 1, 4, 6, 6 }));
    }

    [Theory]
    [InlineData(13, 2)] // pads as an input; a stride-2 Conv with pads of its own
    [InlineData(2, 1)] // pads as an attribute (opset 2-10)
    public void ZeroPadFoldsIntoConv(int opset, int stride)
    {
        var b = new OnnxBuilder(opset).Input("x", 1, 3, 9, 10);
        b.Initializer("w", new[] { 4, 3, 3, 3 }, W(108, 1));
        var pads = new long[] { 0, 0, 1, 2, 0, 0, 2, 0 };
        if (opset >= 11)
        {
            b.Initializer("pads", new[] { 8 }, pads);
            b.Node("Pad", new[] { "x", "pads" }, new[] { "p" });
        }
        else b.Node("Pad", new[] { "x" }, new[] { "p" }, A.Ints("pads", pads));
        b.Node("Conv", new[] { "p", "w" }, new[] { "y" }, A.Ints("strides", stride, stride), A.Ints("pads", 0, 1, 1, 0)).Output("y");
        var model = b.Build();
        Assert.Equal(new[] { "Conv" }, Ops(model));
        Assert.Equal(new[] { "Pad", "Conv" }, Ops(model, "PadIntoConv"));
        SameWithPassesOnAndOff(model, ("x", new[] { 1, 3, 9, 10 }));
    }

    [Theory]
    [InlineData("value")] // padding with 1, not 0
    [InlineData("channels")] // padding the channel axis
    [InlineData("reflect")]
    [InlineData("auto_pad")]
    public void PadStaysWhenConvCannotAbsorbIt(string miss)
    {
        var b = new OnnxBuilder(13).Input("x", 1, 3, 6, 6);
        b.Initializer("w", new[] { 2, miss == "channels" ? 4 : 3, 3, 3 }, W(miss == "channels" ? 72 : 54, 1));
        b.Initializer("pads", new[] { 8 }, miss == "channels" ? new long[] { 0, 1, 1, 1, 0, 0, 1, 1 } : new long[] { 0, 0, 1, 1, 0, 0, 1, 1 });
        b.Initializer("value", System.Array.Empty<int>(), new[] { miss == "value" ? 1f : 0f });
        b.Node("Pad", new[] { "x", "pads", "value" }, new[] { "p" }, miss == "reflect" ? new[] { A.Str("mode", "reflect") } : System.Array.Empty<Onnx.Proto.AttributeProto>());
        b.Node("Conv", new[] { "p", "w" }, new[] { "y" }, miss == "auto_pad" ? new[] { A.Str("auto_pad", "SAME_UPPER") } : System.Array.Empty<Onnx.Proto.AttributeProto>()).Output("y");
        Assert.Equal(new[] { "Pad", "Conv" }, Ops(b.Build()));
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 1, 3, 6, 6 }));
    }

    [Theory]
    [InlineData(1, new[] { 2, 1, 0 }, new long[] { 1, 1, 1 })] // ML.NET's RGB -> BGR of ResNetPreprocess
    [InlineData(3, new[] { 1, 0 }, new long[] { 2, 4 })] // unequal pieces on the last axis
    [InlineData(1, new[] { 0, 1, 2 }, new long[] { 1, 1, 1 })] // the same order: an Identity, then nothing
    public void SplitIntoConcatBecomesOneGather(int axis, int[] order, long[] sizes)
    {
        var b = new OnnxBuilder(13).Input("x", 2, 3, 4, 6);
        b.Initializer("split", new[] { sizes.Length }, sizes);
        var pieces = Enumerable.Range(0, sizes.Length).Select(i => "p" + i).ToArray();
        b.Node("Split", new[] { "x", "split" }, pieces, A.Int("axis", axis));
        b.Node("Concat", order.Select(i => pieces[i]).ToArray(), new[] { "c" }, A.Int("axis", axis));
        b.Node("Sigmoid", "c", "y").Output("y");
        var model = b.Build();
        bool identity = order.Select((v, i) => v == i).All(same => same);
        Assert.Equal(identity ? new[] { "Identity", "Sigmoid" } : new[] { "Gather", "Sigmoid" }, Ops(model));
        Assert.Equal(new[] { "Split", "Concat", "Sigmoid" }, Ops(model, "SplitConcatToGather"));
        SameWithPassesOnAndOff(model, ("x", new[] { 2, 3, 4, 6 }));
    }

    [Theory]
    [InlineData("other reader")] // a piece is also read elsewhere
    [InlineData("missing piece")] // Concat takes only some of the pieces
    [InlineData("twice")] // a piece appears twice
    [InlineData("other axis")]
    public void SplitConcatStaysWhenItIsNotAReordering(string miss)
    {
        var b = new OnnxBuilder(13).Input("x", 1, 3, 4, 4);
        b.Node("Split", new[] { "x" }, new[] { "r", "g", "bl" }, A.Int("axis", 1));
        var inputs = miss switch { "missing piece" => new[] { "bl", "r" }, "twice" => new[] { "bl", "g", "bl" }, _ => new[] { "bl", "g", "r" } };
        b.Node("Concat", inputs, new[] { "c" }, A.Int("axis", miss == "other axis" ? 2 : 1));
        if (miss == "other reader")
        {
            b.Node("Sigmoid", "g", "s").Output("s");
        }
        b.Output("c");
        Assert.Equal(new[] { "Split", "Concat" }, Ops(b.Build()).Where(o => o != "Sigmoid"));
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 1, 3, 4, 4 }));
    }

    [Fact]
    public void CommonSubexpressionsMerge()
    {
        var b = new OnnxBuilder(13).Input("x", 4, 5);
        b.Node("Sigmoid", "x", "a").Node("Sigmoid", "x", "b").Node("Add", new[] { "a", "b" }, new[] { "y" }).Output("y");
        Assert.Equal(new[] { "Sigmoid", "Add" }, Ops(b.Build()));
        Assert.Equal(new[] { "Sigmoid", "Sigmoid", "Add" }, Ops(b.Build(), "CommonSubexpressionElimination"));
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 4, 5 }));
    }

    [Fact]
    public void DeadNodesAndUnusedConstantsGo()
    {
        var b = new OnnxBuilder(13).Input("x", 4, 5);
        b.Initializer("unused", new[] { 100 }, W(100, 1));
        b.Node("Relu", "x", "y").Node("Exp", "x", "dead").Output("y");
        var result = Compile(b.Build());
        Assert.Equal(new[] { "Relu" }, result.Graph!.Nodes.Select(n => n.OpType));
        Assert.False(result.Graph.Values.ContainsKey("unused"));
        Assert.Equal(new[] { "Relu", "Exp" }, Ops(b.Build(), "DeadNodeElimination"));
    }

    [Fact]
    public void InPlaceElementwiseShrinksTheArena()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 64, 32);
        b.Node("Exp", "x", "a").Node("Neg", "a", "n").Node("Sigmoid", "n", "s").Node("Tanh", "s", "t").Node("Relu", "t", "r").Node("Flatten", "r", "y").Output("y");
        var with = Compile(b.Build()).Figures!;
        var without = Compile(b.Build(), "InPlaceMemory").Figures!;
        Assert.Equal(64 * 32 * 4, with.ArenaBytes);
        Assert.Equal(2 * 64 * 32 * 4, without.ArenaBytes);
        Assert.Equal(with.ArenaLowerBound, with.ArenaBytes);
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 1, 64, 32 }));
    }

    [Fact]
    public void InPlaceNeverOverwritesAnInputThatIsReadLater()
    {
        // 'a' is read again by the Add after the Relu: the Relu must not overwrite it.
        var b = new OnnxBuilder(13).Input("x", 3, 7);
        b.Node("Exp", "x", "a").Node("Relu", "a", "r").Node("Sub", new[] { "r", "a" }, new[] { "y" }).Output("y");
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 3, 7 }));
    }
}

/// <summary>MaxRamBytes / MaxRomBytes: a model over budget fails the build naming the budget, the planned figure and the biggest contributors.</summary>
public class BudgetTests
{
    private static byte[] Model()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 8, 16, 16);
        b.Initializer("w", new[] { 16, 8, 3, 3 }, OrtReference.RandomFloats(16 * 72, 1));
        b.Node("Conv", new[] { "x", "w" }, new[] { "c" }, A.Ints("pads", 1, 1, 1, 1)).Node("Relu", "c", "r");
        b.Node("MaxPool", "r", "y", A.Ints("kernel_shape", 2, 2), A.Ints("strides", 2, 2)).Output("y");
        return b.Build();
    }

    private static List<Microsoft.CodeAnalysis.Diagnostic> Errors(Dictionary<string, string> metadata)
    {
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(Model(), "budget.onnx"), metadata);
        return diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).ToList();
    }

    [Fact]
    public void OverRamBudgetNamesTheFigureAndBiggestTensors()
    {
        var d = Assert.Single(Errors(new() { ["MaxRamBytes"] = "8K" }));
        Assert.Equal("EAI0402", d.Id);
        Assert.Contains("MaxRamBytes=8,192 B", d.GetMessage());
        // The Conv's output (16,384 B; the Relu is its epilogue, so the Conv writes 'r') and, while it runs, its
        // im2col scratch: 72 rows x 64 pixels (18,432 B).
        Assert.Contains("the arena needs 34,816 B", d.GetMessage());
        Assert.Contains("'r' 16,384 B from Conv", d.GetMessage());
    }

    [Fact]
    public void OverRomBudgetNamesTheBiggestWeights()
    {
        var d = Assert.Single(Errors(new() { ["MaxRomBytes"] = "1000" }));
        Assert.Equal("EAI0402", d.Id);
        Assert.Contains("the weights need 4,608 B", d.GetMessage());
        Assert.Contains("'w' 4,608 B", d.GetMessage());
    }

    [Fact]
    public void WithinBudgetCompiles()
    {
        Assert.Empty(Errors(new() { ["MaxRamBytes"] = "34816", ["MaxRomBytes"] = "4.5K" }));
        Assert.Equal("EAI0003", Assert.Single(Errors(new() { ["MaxRamBytes"] = "lots" })).Id);
    }
}
