using System.Collections.Generic;
using System.Linq;
using System.Threading;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// ActivationFusion, BiasAddFusion, ScaleFolding and MatMulAddToGemm on rank-3 inputs: the graph before (pass off)
/// and after, and the same outputs as ONNX Runtime with every pass on and with none.
/// </summary>
public class FusionPassTests
{
    internal static ModelCompiler.Result Compile(byte[] model, string disabled = "")
    {
        var options = ModelOptions.Default("m.onnx") with { DisabledPasses = disabled };
        var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", new EquatableArray<byte>(model), null), options), CancellationToken.None);
        Assert.DoesNotContain(result.Output.Diagnostics, d => d.IsError);
        return result;
    }

    internal static string[] Ops(byte[] model, string disabled = "") => Compile(model, disabled).Graph!.Nodes.Select(n => n.OpType).ToArray();

    internal static void SameWithPassesOnAndOff(byte[] model, params (string, int[])[] inputs)
    {
        ModelCheck.AgainstOrt(model, inputs);
        ModelCheck.AgainstOrt(model, inputs, metadata: new Dictionary<string, string> { ["DisabledPasses"] = "all" });
    }

    private static float[] W(int n, int seed) => OrtReference.RandomFloats(n, seed, 0.5f);

    private static OnnxBuilder ConvInput(int opset, string activation, params Onnx.Proto.AttributeProto[] attributes)
    {
        var b = new OnnxBuilder(opset).Input("x", 1, 3, 8, 8);
        b.Initializer("w", new[] { 4, 3, 3, 3 }, W(108, 1)); b.Initializer("b", new[] { 4 }, W(4, 2));
        b.Node("Conv", new[] { "x", "w", "b" }, new[] { "c" }, A.Ints("pads", 1, 1, 1, 1));
        if (activation == "Clip") { b.Initializer("lo", System.Array.Empty<int>(), new[] { 0f }); b.Initializer("hi", System.Array.Empty<int>(), new[] { 6f }); }
        b.Node(activation, activation == "Clip" ? new[] { "c", "lo", "hi" } : new[] { "c" }, new[] { "y" }, attributes).Output("y");
        return b;
    }

    [Theory]
    [InlineData("Relu", "Relu")]
    [InlineData("Clip", "Relu6")]
    [InlineData("LeakyRelu", "LeakyRelu")]
    [InlineData("HardSigmoid", "HardSigmoid")]
    [InlineData("HardSwish", "HardSwish")]
    [InlineData("Sigmoid", "Sigmoid")]
    [InlineData("Tanh", "Tanh")]
    [InlineData("Gelu", "Gelu")]
    public void ConvActivationFuses(string activation, string recorded)
    {
        var attributes = activation == "LeakyRelu" ? new[] { A.Float("alpha", 0.2f) } : activation == "HardSigmoid" ? new[] { A.Float("alpha", 0.3f), A.Float("beta", 0.4f) } : System.Array.Empty<Onnx.Proto.AttributeProto>();
        var model = ConvInput(activation == "Gelu" ? 20 : 14, activation, attributes).Build();
        var result = Compile(model);
        var conv = Assert.Single(result.Graph!.Nodes);
        Assert.Equal(recorded, Assert.Single(conv.Fused));
        Assert.Contains("global::EfficientAI.Runtime.ActivationKind." + (activation == "Clip" ? "Clip" : activation), result.Output.Sources[0].Text);
        Assert.Equal(new[] { "Conv", activation }, Ops(model, "ActivationFusion"));
        SameWithPassesOnAndOff(model, ("x", new[] { 1, 3, 8, 8 }));
    }

    [Fact]
    public void GemmAndMatMulActivationsFuse()
    {
        var b = new OnnxBuilder(13).Input("x", 3, 6);
        b.Initializer("w", new[] { 6, 5 }, W(30, 1)); b.Initializer("v", new[] { 5, 4 }, W(20, 2));
        b.Node("Gemm", new[] { "x", "w" }, new[] { "g" }).Node("Tanh", "g", "t");
        b.Node("MatMul", new[] { "t", "v" }, new[] { "m" }).Node("Sigmoid", "m", "y").Output("y");
        var model = b.Build();
        Assert.Equal(new[] { "Gemm", "MatMul" }, Ops(model));
        SameWithPassesOnAndOff(model, ("x", new[] { 3, 6 }));
    }

    [Fact]
    public void ActivationKeptWhenTheProducerOutputHasAnotherReaderOrIsAGraphOutput()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 3, 8, 8);
        b.Initializer("w", new[] { 4, 3, 3, 3 }, W(108, 1));
        b.Node("Conv", new[] { "x", "w" }, new[] { "c" }).Node("Relu", "c", "r").Node("Add", new[] { "c", "r" }, new[] { "y" }).Output("y");
        Assert.Equal(new[] { "Conv", "Relu", "Add" }, Ops(b.Build()));
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 1, 3, 8, 8 }));

        var o = new OnnxBuilder(13).Input("x", 1, 3, 8, 8);
        o.Initializer("w", new[] { 4, 3, 3, 3 }, W(108, 1));
        o.Node("Conv", new[] { "x", "w" }, new[] { "c" }).Node("Relu", "c", "y").Output("c").Output("y");
        Assert.Equal(new[] { "Conv", "Relu" }, Ops(o.Build()));
    }

    [Fact]
    public void ConvBiasAddAndScaleChainFoldIntoTheWeights()
    {
        // Conv (no bias) -> Add [1,4,1,1] -> Mul [4,1,1] -> Sub scalar -> Div [4,1,1] -> Relu: one Conv + Relu epilogue.
        var b = new OnnxBuilder(13).Input("x", 1, 3, 8, 8);
        b.Initializer("w", new[] { 4, 3, 3, 3 }, W(108, 1));
        b.Initializer("t", new[] { 1, 4, 1, 1 }, W(4, 2)); b.Initializer("s", new[] { 4, 1, 1 }, W(4, 3));
        b.Initializer("u", System.Array.Empty<int>(), new[] { 0.25f }); b.Initializer("d", new[] { 4, 1, 1 }, new[] { 2f, -3f, 0.5f, 7f });
        b.Node("Conv", new[] { "x", "w" }, new[] { "c" }, A.Ints("pads", 1, 1, 1, 1), A.Ints("strides", 2, 2));
        b.Node("Add", new[] { "t", "c" }, new[] { "a" }).Node("Mul", new[] { "a", "s" }, new[] { "m" });
        b.Node("Sub", new[] { "m", "u" }, new[] { "n" }).Node("Div", new[] { "n", "d" }, new[] { "q" }).Node("Relu", "q", "y").Output("y");
        var model = b.Build();
        var conv = Assert.Single(Compile(model).Graph!.Nodes);
        Assert.Equal(new[] { "Add", "Mul", "Sub", "Div", "Relu" }, conv.Fused);
        Assert.Equal(new[] { "Conv", "Add", "Mul", "Sub", "Div", "Relu" }, Ops(model, "BiasAddFusion;ScaleFolding;ActivationFusion"));
        SameWithPassesOnAndOff(model, ("x", new[] { 1, 3, 8, 8 }));
    }

    [Fact]
    public void NonChannelConstantsAreNotFolded()
    {
        // A bias that varies along the width, and a Sub with the conv output on the right, stay.
        var b = new OnnxBuilder(13).Input("x", 1, 3, 6, 6);
        b.Initializer("w", new[] { 4, 3, 1, 1 }, W(12, 1)); b.Initializer("t", new[] { 1, 1, 1, 6 }, W(6, 2)); b.Initializer("u", new[] { 4, 1, 1 }, W(4, 3));
        b.Node("Conv", new[] { "x", "w" }, new[] { "c" }).Node("Add", new[] { "c", "t" }, new[] { "a" }).Output("a");
        b.Node("Conv", new[] { "x", "w" }, new[] { "c2" }, A.Ints("dilations", 1, 1)).Node("Sub", new[] { "u", "c2" }, new[] { "y" }).Output("y");
        Assert.Equal(new[] { "Conv", "Add", "Conv", "Sub" }, Ops(b.Build(), "CommonSubexpressionElimination"));
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 1, 3, 6, 6 }));
    }

    [Fact]
    public void InputScaleAndShiftFoldIntoTheFirstConv()
    {
        // (x - mean) * inv_std -> grouped Conv without padding: both fold (the Sub into the bias, the Mul into the weights).
        var b = new OnnxBuilder(13).Input("x", 1, 4, 7, 7);
        b.Initializer("mean", new[] { 1, 4, 1, 1 }, W(4, 1)); b.Initializer("inv", new[] { 4, 1, 1 }, new[] { 2f, 0.5f, -1f, 3f });
        b.Initializer("w", new[] { 6, 2, 3, 3 }, W(108, 2)); b.Initializer("b", new[] { 6 }, W(6, 3));
        b.Node("Sub", new[] { "x", "mean" }, new[] { "s" }).Node("Mul", new[] { "inv", "s" }, new[] { "m" });
        b.Node("Conv", new[] { "m", "w", "b" }, new[] { "y" }, A.Int("group", 2)).Output("y");
        var model = b.Build();
        var conv = Assert.Single(Compile(model).Graph!.Nodes);
        Assert.Equal(new[] { "Sub (before)", "Mul (before)" }, conv.Fused);
        Assert.Equal(new[] { "Sub", "Mul", "Conv" }, Ops(model, "ScaleFolding"));
        SameWithPassesOnAndOff(model, ("x", new[] { 1, 4, 7, 7 }));
    }

    [Fact]
    public void InputShiftStaysBeforeAPaddedConv()
    {
        // Padding reads zeros, not shifted zeros: the Add must stay; the Mul before it still folds.
        var b = new OnnxBuilder(13).Input("x", 1, 2, 5, 5);
        b.Initializer("t", new[] { 2, 1, 1 }, W(2, 1)); b.Initializer("s", new[] { 1, 2, 1, 1 }, W(2, 4));
        b.Initializer("w", new[] { 3, 2, 3, 3 }, W(54, 2));
        b.Node("Add", new[] { "x", "t" }, new[] { "a" }).Node("Mul", new[] { "a", "s" }, new[] { "m" });
        b.Node("Conv", new[] { "m", "w" }, new[] { "y" }, A.Ints("pads", 1, 1, 1, 1)).Output("y");
        Assert.Equal(new[] { "Add", "Conv" }, Ops(b.Build()));
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 1, 2, 5, 5 }));
    }

    [Fact]
    public void GemmBiasAndScaleFold()
    {
        var b = new OnnxBuilder(13).Input("x", 3, 6);
        b.Initializer("w", new[] { 5, 6 }, W(30, 1)); b.Initializer("c", new[] { 5 }, W(5, 2)); b.Initializer("s", new[] { 1, 5 }, W(5, 3)); b.Initializer("t", new[] { 5 }, W(5, 4));
        b.Node("Gemm", new[] { "x", "w", "c" }, new[] { "g" }, A.Int("transB", 1), A.Float("beta", 0.5f), A.Float("alpha", 2f));
        b.Node("Mul", new[] { "g", "s" }, new[] { "m" }).Node("Sub", new[] { "m", "t" }, new[] { "y" }).Output("y");
        Assert.Equal(new[] { "Gemm" }, Ops(b.Build()));
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 3, 6 }));
    }

    [Fact]
    public void BatchedMatMulAddBecomesOneGemmOverTheRows()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 3, 6);
        b.Initializer("w", new[] { 6, 4 }, W(24, 1)); b.Initializer("bias", new[] { 4 }, W(4, 2));
        b.Node("MatMul", new[] { "x", "w" }, new[] { "h" }).Node("Add", new[] { "h", "bias" }, new[] { "a" }).Node("Relu", "a", "r").Node("Exp", "r", "y").Output("y");
        var result = Compile(b.Build());
        Assert.Equal(new[] { "Reshape", "Gemm", "Reshape", "Exp" }, result.Graph!.Nodes.Select(n => n.OpType));
        Assert.Equal(new[] { "Add", "Relu" }, result.Graph.Nodes[1].Fused);
        Assert.Equal(new[] { "MatMul", "Add", "Relu", "Exp" }, Ops(b.Build(), "MatMulAddToGemm"));
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 2, 3, 6 }));
    }
}
