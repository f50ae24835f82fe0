using System;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Activations mapped to the runtime's unary kernels, and PRelu, against ONNX Runtime (attribute defaults and variants).</summary>
public class ActivationOpTests
{
    public static TheoryData<string, int, string?, float> Cases => new()
    {
        { "Erf", 13, null, 0f },
        { "Selu", 6, null, 0f },
        { "Selu", 6, "alpha", 2f },
        { "Mish", 18, null, 0f },
        { "ThresholdedRelu", 10, null, 0f },
        { "ThresholdedRelu", 10, "alpha", 0.3f },
        { "Shrink", 9, null, 0f },
        { "Shrink", 9, "bias", 0.2f },
        { "Celu", 12, null, 0f },
        { "Celu", 12, "alpha", 0.5f },
        { "Sign", 13, null, 0f },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unary(string op, int opset, string? attr, float value)
    {
        var attrs = attr is null ? Array.Empty<Onnx.Proto.AttributeProto>() : new[] { A.Float(attr, value) };
        if (op == "Shrink" && attr is not null) attrs = new[] { A.Float("bias", value), A.Float("lambd", 0.7f) };
        var b = new OnnxBuilder(opset).Input("x", 3, 37).Node(op, "x", "y", attrs).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 37 }) }, scale: 3f);
    }

    [Theory]
    [InlineData("none")] [InlineData("tanh")] [InlineData(null)]
    public void Gelu(string? approximate)
    {
        var b = new OnnxBuilder(20);
        b.Model.IrVersion = 9;
        b.Input("x", 2, 50).Node("Gelu", "x", "y", approximate is null ? Array.Empty<Onnx.Proto.AttributeProto>() : new[] { A.Str("approximate", approximate) }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 50 }) }, scale: 4f);
    }

    [Fact]
    public void GeluExactErfForm()
    {
        // The exact Gelu as exporters before opset 20 write it: 0.5 * x * (1 + erf(x / sqrt 2)).
        var b = new OnnxBuilder(13).Input("x", 4, 25);
        b.Initializer("rsqrt2", Array.Empty<int>(), new[] { 0.70710677f });
        b.Initializer("one", Array.Empty<int>(), new[] { 1f });
        b.Initializer("half", Array.Empty<int>(), new[] { 0.5f });
        b.Node("Mul", new[] { "x", "rsqrt2" }, new[] { "s" }).Node("Erf", "s", "e").Node("Add", new[] { "e", "one" }, new[] { "p" });
        b.Node("Mul", new[] { "x", "p" }, new[] { "xp" }).Node("Mul", new[] { "xp", "half" }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 4, 25 }) }, scale: 4f);
    }

    [Fact]
    public void ConstantActivationsFold()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 5);
        b.Initializer("c", new[] { 5 }, new[] { -2f, -0.25f, 0f, 0.4f, 3f });
        b.Node("Erf", "c", "e").Node("Selu", "e", "s").Node("Celu", "s", "k").Node("Sign", "k", "g").Node("Shrink", "k", "h");
        b.Node("Add", new[] { "g", "h" }, new[] { "gh" }).Node("Add", new[] { "x", "gh" }, new[] { "y" }).Output("y");
        var model = b.Build();
        Assert.Single(TypedInputs.CompiledGraph(model)!.Nodes);
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 2, 5 }) });
    }

    [Theory]
    [InlineData(new[] { 3, 1, 1 })] [InlineData(new[] { 1 })] [InlineData(new[] { 2, 3, 4, 5 })] [InlineData(new[] { 5 })]
    public void PReluBroadcastSlope(int[] slopeShape)
    {
        var b = new OnnxBuilder(16).Input("x", 2, 3, 4, 5).Input("slope", slopeShape);
        b.Node("PRelu", new[] { "x", "slope" }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 3, 4, 5 }), ("slope", slopeShape) });
    }

    [Fact]
    public void PReluConstantSlopeInChain()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 4, 3, 3);
        b.Initializer("slope", new[] { 4, 1, 1 }, new[] { 0.1f, -0.5f, 2f, 0.25f });
        b.Node("Relu", "x", "r").Node("Sub", new[] { "x", "r" }, new[] { "neg" }).Node("PRelu", new[] { "neg", "slope" }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 1, 4, 3, 3 }) });
    }

    [Fact]
    public void IntegerInputToFloatActivationIsRejected()
    {
        var b = new OnnxBuilder(13).Typed("x", 7, 4).Node("Erf", "x", "y").Output("y", 7);
        var e = Assert.Throws<InvalidOperationException>(() => GeneratorHarness.Compile(b.Build()));
        Assert.Contains("EAI0202", e.Message);
    }
}
