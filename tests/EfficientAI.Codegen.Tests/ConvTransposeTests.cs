using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// ConvTranspose against ONNX Runtime on random inputs and weights: 1-D, 2-D, 3-D, groups, strides, dilations, pads,
/// output_padding, output_shape and auto_pad. Tolerance rtol 1e-4 / atol 1e-5 (sums of at most ~50 products of values
/// in [-1, 1): measured max abs error ~1e-6).
/// </summary>
public class ConvTransposeTests
{
    private static CompiledModelRunner Check(int[] x, int[] w, bool bias, params AttributeProto[] attrs)
    {
        int outChannels = w[1] * (int)(attrs.FirstOrDefault(a => a.Name == "group")?.I ?? 1);
        var b = new OnnxBuilder(11).Input("x", x).Input("w", w);
        var inputs = new List<(string, int[])> { ("x", x), ("w", w) };
        if (bias)
        {
            b.Input("b", new[] { outChannels });
            inputs.Add(("b", new[] { outChannels }));
        }
        b.Node("ConvTranspose", inputs.Select(i => i.Item1).ToArray(), new[] { "y" }, attrs).Output("y");
        return ModelCheck.AgainstOrt(b.Build(), inputs.ToArray());
    }

    /// <summary>The column matrix lives in the arena's per-node scratch: nothing is allocated per inference.</summary>
    [Fact]
    public void NoAllocationPerInference()
    {
        var runner = Check(new[] { 1, 4, 5, 5 }, new[] { 4, 3, 2, 3 }, bias: true, A.Int("group", 2), A.Ints("strides", 2, 1));
        Assert.Equal(0, runner.Allocations(new Array[] { OrtReference.RandomFloats(100, 1), OrtReference.RandomFloats(72, 2), OrtReference.RandomFloats(6, 3) }, 200));
    }

    [Fact]
    public void Plain2D() => Check(new[] { 1, 3, 4, 5 }, new[] { 3, 2, 3, 3 }, bias: true);

    [Fact]
    public void Strided2DWithPadsAndBatch() =>
        Check(new[] { 2, 2, 4, 3 }, new[] { 2, 3, 3, 2 }, bias: true, A.Ints("strides", 2, 3), A.Ints("pads", 1, 0, 0, 1));

    [Fact]
    public void GroupsAndDilations() =>
        Check(new[] { 1, 4, 5, 5 }, new[] { 4, 3, 2, 3 }, bias: true, A.Int("group", 2), A.Ints("dilations", 2, 1), A.Ints("strides", 1, 2));

    [Fact]
    public void OutputPadding() =>
        Check(new[] { 1, 2, 3, 3 }, new[] { 2, 2, 3, 3 }, bias: false, A.Ints("strides", 3, 2), A.Ints("output_padding", 1, 1), A.Ints("pads", 1, 1, 0, 0));

    [Fact]
    public void OutputShapeDecidesThePads() =>
        Check(new[] { 1, 1, 3, 3 }, new[] { 1, 2, 3, 3 }, bias: true, A.Ints("strides", 3, 2), A.Ints("output_shape", 10, 8));

    [Theory]
    [InlineData("SAME_UPPER")]
    [InlineData("SAME_LOWER")]
    [InlineData("VALID")]
    public void AutoPad(string autoPad) =>
        Check(new[] { 1, 2, 3, 4 }, new[] { 2, 2, 4, 3 }, bias: true, A.Str("auto_pad", autoPad), A.Ints("strides", 2, 2));

    [Fact]
    public void OneDimensional() =>
        Check(new[] { 2, 3, 7 }, new[] { 3, 4, 5 }, bias: true, A.Ints("strides", 4), A.Ints("pads", 2, 1));

    [Fact]
    public void ThreeDimensional() =>
        Check(new[] { 1, 2, 3, 4, 2 }, new[] { 2, 2, 2, 3, 2 }, bias: true, A.Ints("strides", 2, 1, 2), A.Ints("pads", 0, 1, 0, 1, 0, 1));

    [Fact]
    public void BiasOfTheWrongLengthIsAnInvalidNode()
    {
        var b = new OnnxBuilder(11).Input("x", 1, 2, 3, 3).Input("w", 2, 2, 3, 3).Input("b", new[] { 3 });
        b.Node("ConvTranspose", new[] { "x", "w", "b" }, new[] { "y" }).Output("y");
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(b.Build(), "convt_bad.onnx"));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0203", d.Id);
        Assert.Contains("bias has 3 values, expected 2", d.GetMessage());
    }
}
