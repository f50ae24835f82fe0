using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;
using static EfficientAI.Codegen.Tests.FusionPassTests;

namespace EfficientAI.Codegen.Tests;

/// <summary>LayerNormalizationRecognition, GeluRecognition and HardSwishRecognition on the forms exporters write, and the near misses they must leave alone.</summary>
public class RecognitionPassTests
{
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public RecognitionPassTests(Xunit.Abstractions.ITestOutputHelper output) => _output = output;

    private static float[] W(int n, int seed) => OrtReference.RandomFloats(n, seed, 0.5f);

    private static OnnxBuilder LayerNorm(bool affine, bool squareByMul = false, long[]? axes = null, float eps = 1e-5f, float two = 2f)
    {
        var b = new OnnxBuilder(13).Input("x", 2, 5, 16);
        axes ??= new long[] { -1 };
        b.Node("ReduceMean", new[] { "x" }, new[] { "mean" }, A.Ints("axes", axes));
        b.Node("Sub", new[] { "x", "mean" }, new[] { "d" });
        if (squareByMul) b.Node("Mul", new[] { "d", "d" }, new[] { "sq" });
        else { b.Initializer("two", System.Array.Empty<int>(), new[] { two }); b.Node("Pow", new[] { "d", "two" }, new[] { "sq" }); }
        b.Node("ReduceMean", new[] { "sq" }, new[] { "var" }, A.Ints("axes", axes));
        b.Initializer("eps", System.Array.Empty<int>(), new[] { eps });
        b.Node("Add", new[] { "var", "eps" }, new[] { "ve" }).Node("Sqrt", "ve", "std").Node("Div", new[] { "d", "std" }, new[] { affine ? "n" : "y" });
        if (affine)
        {
            int n = axes.Length == 2 ? 80 : 16;
            var shape = axes.Length == 2 ? new[] { 5, 16 } : new[] { 16 };
            b.Initializer("gamma", shape, W(n, 1)); b.Initializer("beta", shape, W(n, 2));
            b.Node("Mul", new[] { "gamma", "n" }, new[] { "m" }).Node("Add", new[] { "m", "beta" }, new[] { "y" });
        }
        return b.Output("y");
    }

    [Theory]
    [InlineData(true, false, 1)]
    [InlineData(false, false, 1)]
    [InlineData(true, true, 1)]
    [InlineData(true, false, 2)]
    public void LayerNormalizationSpelledOutIsRecognised(bool affine, bool squareByMul, int trailingAxes)
    {
        var model = LayerNorm(affine, squareByMul, trailingAxes == 2 ? new long[] { 2, 1 } : null).Build();
        var ln = Assert.Single(Compile(model).Graph!.Nodes);
        Assert.Equal("LayerNormalization", ln.OpType);
        Assert.Equal(3 - trailingAxes, (int)ln.Attributes["axis"].I);
        Assert.Contains("ReduceMean", FusionPassTests.Ops(model, "LayerNormalizationRecognition"));
        SameWithPassesOnAndOff(model, ("x", new[] { 2, 5, 16 }));
    }

    [Fact]
    public void NearMissesOfLayerNormalizationStay()
    {
        // Cube instead of square; the mean over a non-trailing axis; the centred value also read outside.
        Assert.Contains("ReduceMean", FusionPassTests.Ops(LayerNorm(true, two: 3f).Build()));
        Assert.Contains("ReduceMean", FusionPassTests.Ops(LayerNorm(true, axes: new long[] { 1 }).Build()));
        var leak = LayerNorm(false);
        leak.Node("Relu", "d", "r").Output("r");
        Assert.Contains("ReduceMean", FusionPassTests.Ops(leak.Build()));
        SameWithPassesOnAndOff(leak.Build(), ("x", new[] { 2, 5, 16 }));
    }

    [Fact]
    public void HelloDeepaLayerNormsAreRecognised()
    {
        var bytes = DevModels.Load("hello_deepa.onnx", _output);
        if (bytes is null) return;
        var ops = FusionPassTests.Ops(bytes);
        Assert.Equal(2, ops.Count(o => o == "LayerNormalization"));
        Assert.DoesNotContain("ReduceMean", ops);
    }

    private static OnnxBuilder Gelu(string form)
    {
        var b = new OnnxBuilder(13).Input("x", 3, 20);
        b.Initializer("half", System.Array.Empty<int>(), new[] { 0.5f }); b.Initializer("one", System.Array.Empty<int>(), new[] { 1f });
        string core;
        if (form.StartsWith("tanh"))
        {
            b.Initializer("three", System.Array.Empty<int>(), new[] { 3f }); b.Initializer("k", System.Array.Empty<int>(), new[] { 0.044715f });
            b.Initializer("c", System.Array.Empty<int>(), new[] { 0.7978845608f });
            // torch exports the cube as x * (x * x)
            if (form == "tanh-torch") b.Node("Mul", new[] { "x", "x" }, new[] { "x2" }).Node("Mul", new[] { "x", "x2" }, new[] { "x3" });
            else b.Node("Pow", new[] { "x", "three" }, new[] { "x3" });
            b.Node("Mul", new[] { "k", "x3" }, new[] { "kx3" }).Node("Add", new[] { "x", "kx3" }, new[] { "s" });
            b.Node("Mul", new[] { "s", "c" }, new[] { "u" }).Node("Tanh", "u", "t");
            core = "t";
        }
        else
        {
            if (form == "mul") { b.Initializer("r", System.Array.Empty<int>(), new[] { 0.70710678f }); b.Node("Mul", new[] { "x", "r" }, new[] { "u" }); }
            else { b.Initializer("r", System.Array.Empty<int>(), new[] { 1.4142135f }); b.Node("Div", new[] { "x", "r" }, new[] { "u" }); }
            b.Node("Erf", "u", "e");
            core = "e";
        }
        b.Node("Add", new[] { core, "one" }, new[] { "p" });
        if (form == "half-first") b.Node("Mul", new[] { "x", "half" }, new[] { "h" }).Node("Mul", new[] { "h", "p" }, new[] { "y" });
        else b.Node("Mul", new[] { "x", "p" }, new[] { "xp" }).Node("Mul", new[] { "xp", "half" }, new[] { "y" });
        return b.Output("y");
    }

    [Theory]
    [InlineData("div")]
    [InlineData("mul")]
    [InlineData("half-first")]
    [InlineData("tanh")]
    [InlineData("tanh-torch")]
    public void GeluSpelledOutIsRecognised(string form)
    {
        var model = Gelu(form).Build();
        var gelu = Assert.Single(Compile(model).Graph!.Nodes);
        Assert.Equal("Gelu", gelu.OpType);
        bool tanh = form.StartsWith("tanh");
        Assert.Equal(tanh ? "tanh" : null, gelu.Attributes.TryGetValue("approximate", out var a) ? a.S.ToStringUtf8() : null);
        Assert.Equal(tanh ? "Tanh" : "Erf", FusionPassTests.Ops(model, "GeluRecognition")[form == "tanh-torch" ? 5 : tanh ? 4 : 1]);
        SameWithPassesOnAndOff(model, ("x", new[] { 3, 20 }));
    }

    [Fact]
    public void GeluAfterMatMulBecomesItsEpilogue()
    {
        var g = new OnnxBuilder(13).Input("a", 3, 20);
        g.Initializer("w", new[] { 20, 20 }, W(400, 3)); g.Initializer("r", System.Array.Empty<int>(), new[] { 1.4142135f });
        g.Initializer("half", System.Array.Empty<int>(), new[] { 0.5f }); g.Initializer("one", System.Array.Empty<int>(), new[] { 1f });
        g.Node("MatMul", new[] { "a", "w" }, new[] { "x" }).Node("Div", new[] { "x", "r" }, new[] { "u" }).Node("Erf", "u", "e").Node("Add", new[] { "e", "one" }, new[] { "p" });
        g.Node("Mul", new[] { "p", "x" }, new[] { "xp" }).Node("Mul", new[] { "half", "xp" }, new[] { "y" }).Output("y");
        var mm = Assert.Single(Compile(g.Build()).Graph!.Nodes);
        Assert.Equal("MatMul", mm.OpType);
        Assert.Equal("Gelu", mm.Activation!.Kind);
        SameWithPassesOnAndOff(g.Build(), ("a", new[] { 3, 20 }));
    }

    [Fact]
    public void NearMissesOfGeluStay()
    {
        var b = new OnnxBuilder(13).Input("x", 3, 20);
        b.Initializer("r", System.Array.Empty<int>(), new[] { 1.5f }); b.Initializer("half", System.Array.Empty<int>(), new[] { 0.5f }); b.Initializer("one", System.Array.Empty<int>(), new[] { 1f });
        b.Node("Div", new[] { "x", "r" }, new[] { "u" }).Node("Erf", "u", "e").Node("Add", new[] { "e", "one" }, new[] { "p" });
        b.Node("Mul", new[] { "x", "p" }, new[] { "xp" }).Node("Mul", new[] { "xp", "half" }, new[] { "y" }).Output("y");
        Assert.Contains("Erf", FusionPassTests.Ops(b.Build()));
        SameWithPassesOnAndOff(b.Build(), ("x", new[] { 3, 20 }));
    }

    /// <summary>A Conv followed by HardSwish spelled out in one of the forms exporters write.</summary>
    private static OnnxBuilder HardSwish(string form, int opset = 13, float three = 3f)
    {
        var b = new OnnxBuilder(opset).Input("a", 1, 4, 6, 6);
        b.Initializer("w", new[] { 5, 4, 3, 3 }, W(180, 7));
        b.Node("Conv", new[] { "a", "w" }, new[] { "x" }, A.Ints("pads", 1, 1, 1, 1));
        if (form == "hardsigmoid")
        {
            b.Node("HardSigmoid", new[] { "x" }, new[] { "g" }, A.Float("alpha", 1f / 6f), A.Float("beta", 0.5f));
            return b.Node("Mul", new[] { "x", "g" }, new[] { "y" }).Output("y");
        }
        b.Initializer("three", System.Array.Empty<int>(), new[] { three });
        b.Initializer("six", System.Array.Empty<int>(), new[] { 6f });
        b.Initializer("sixth", System.Array.Empty<int>(), new[] { 1f / 6f });
        b.Node("Add", new[] { "x", "three" }, new[] { "t" });
        if (opset < 11) b.Node("Clip", new[] { "t" }, new[] { "c" }, A.Float("min", 0f), A.Float("max", 6f));
        else
        {
            b.Initializer("zero", System.Array.Empty<int>(), new[] { 0f });
            b.Node("Clip", new[] { "t", "zero", "six" }, new[] { "c" });
        }
        if (form == "divide-first") b.Node("Mul", new[] { "c", "sixth" }, new[] { "q" }).Node("Mul", new[] { "x", "q" }, new[] { "y" });
        else b.Node("Mul", new[] { "x", "c" }, new[] { "m" }).Node("Div", new[] { "m", "six" }, new[] { "y" });
        return b.Output("y");
    }

    [Theory]
    [InlineData("divide-last", 9)] // paddle2onnx (PP-OCR): Clip with min/max attributes, Div by 6
    [InlineData("divide-last", 13)]
    [InlineData("divide-first", 13)]
    [InlineData("hardsigmoid", 13)]
    public void HardSwishSpelledOutBecomesTheConvEpilogue(string form, int opset)
    {
        var model = HardSwish(form, opset).Build();
        var conv = Assert.Single(Compile(model).Graph!.Nodes);
        Assert.Equal("Conv", conv.OpType);
        Assert.Equal("HardSwish", conv.Activation!.Kind);
        Assert.DoesNotContain("HardSwish", FusionPassTests.Ops(model, "HardSwishRecognition"));
        SameWithPassesOnAndOff(model, ("a", new[] { 1, 4, 6, 6 }));
    }

    [Fact]
    public void NearMissesOfHardSwishStay()
    {
        var model = HardSwish("divide-last", three: 2.5f).Build();
        Assert.Contains("Clip", FusionPassTests.Ops(model));
        SameWithPassesOnAndOff(model, ("a", new[] { 1, 4, 6, 6 }));
    }
}
