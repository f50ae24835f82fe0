using System;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Trigonometric and hyperbolic ops, IsInf/IsNaN and BitShift against ONNX Runtime.</summary>
public class ElementwiseMathOpTests
{
    /// <summary>Each op on random inputs inside its domain (rtol 1e-4, atol 1e-5), run-time and folded.</summary>
    [Theory]
    [InlineData("Tan", -1.4f, 1.4f)]
    [InlineData("Asin", -0.99f, 0.99f)]
    [InlineData("Acos", -0.99f, 0.99f)]
    [InlineData("Atan", -6f, 6f)]
    [InlineData("Sinh", -4f, 4f)]
    [InlineData("Cosh", -4f, 4f)]
    [InlineData("Asinh", -20f, 20f)]
    [InlineData("Acosh", 1.001f, 30f)]
    [InlineData("Atanh", -0.99f, 0.99f)]
    public void TrigonometricAndHyperbolic(string op, float lo, float hi)
    {
        var rng = new Random(op.Length * 31 + 7);
        var x = Enumerable.Range(0, 3 * 41).Select(_ => lo + (float)rng.NextDouble() * (hi - lo)).ToArray();
        var b = new OnnxBuilder(13).Input("x", 3, 41).Node(op, "x", "y").Output("y");
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)x, new[] { 3, 41 }) });

        // The same values as a constant: the folded result must match too.
        var folded = new OnnxBuilder(13).Input("z", 3, 41);
        folded.Initializer("c", new[] { 3, 41 }, x);
        folded.Node(op, "c", "t").Node("Add", new[] { "t", "z" }, new[] { "y" }).Output("y");
        var zeros = OrtReference.RandomFloats(3 * 41, 5, 1e-3f);
        TypedInputs.AgainstOrt(folded.Build(), new[] { ("z", (Array)zeros, new[] { 3, 41 }) });
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 0)]
    [InlineData(0, 1)]
    public void IsInfDetectsTheChosenSigns(int positive, int negative)
    {
        var x = new[] { 1f, float.PositiveInfinity, -2.5f, float.NegativeInfinity, float.NaN, 0f, float.MaxValue, -float.Epsilon };
        var b = new OnnxBuilder(13).Typed("x", 1, 8)
            .Node("IsInf", new[] { "x" }, new[] { "y" }, A.Int("detect_positive", positive), A.Int("detect_negative", negative)).Output("y", 9);
        TypedInputs.AssertMixed(TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)x, new[] { 8 }) })[0]);
    }

    [Fact]
    public void IsNaN()
    {
        var x = new[] { 1d, double.NaN, double.PositiveInfinity, -0d, double.NaN, 3.5 };
        var b = new OnnxBuilder(13).Typed("x", 11, 2, 3).Node("IsNaN", "x", "y").Output("y", 9);
        TypedInputs.AssertMixed(TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)x, new[] { 2, 3 }) })[0]);
    }

    /// <summary>Both directions with broadcasting on uint8, against ONNX Runtime.</summary>
    [Theory]
    [InlineData("LEFT")]
    [InlineData("RIGHT")]
    public void BitShift(string direction)
    {
        var rng = new Random(direction.Length);
        var x = Enumerable.Range(0, 15).Select(_ => (byte)rng.Next(0, 256)).ToArray();
        var s = Enumerable.Range(0, 5).Select(_ => (byte)rng.Next(0, 8)).ToArray();
        var b = new OnnxBuilder(13).Typed("x", 2, 3, 5).Typed("s", 2, 5)
            .Node("BitShift", new[] { "x", "s" }, new[] { "y" }, A.Str("direction", direction)).Output("y", 2);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)x, new[] { 3, 5 }), ("s", s, new[] { 5 }) });
    }

    /// <summary>
    /// uint32 and uint64 against shifts written out here (the ONNX Runtime .NET binding cannot feed unsigned 32/64-bit
    /// tensors); counts at or past the width give 0, which C#'s masked shifts would not.
    /// </summary>
    [Fact]
    public void BitShiftWideTypesAndLongCounts()
    {
        var x32 = new uint[] { 1, 0x80000001u, 12345, 0xFFFFFFFFu, 7, 9 };
        var s32 = new uint[] { 0, 1, 31, 32, 40, 3 };
        var b = new OnnxBuilder(13).Typed("x", 12, 6).Typed("s", 12, 6)
            .Node("BitShift", new[] { "x", "s" }, new[] { "l" }, A.Str("direction", "LEFT"))
            .Node("BitShift", new[] { "x", "s" }, new[] { "r" }, A.Str("direction", "RIGHT")).Output("l", 12).Output("r", 12);
        var y = GeneratorHarness.Compile(b.Build()).Run(x32, s32);
        Assert.Equal(x32.Select((v, i) => s32[i] >= 32 ? 0u : v << (int)s32[i]), (uint[])y[0]);
        Assert.Equal(x32.Select((v, i) => s32[i] >= 32 ? 0u : v >> (int)s32[i]), (uint[])y[1]);

        var x64 = new ulong[] { 1, 0x8000000000000001ul, 3, ulong.MaxValue };
        var s64 = new ulong[] { 63, 1, 64, 5 };
        var c = new OnnxBuilder(13).Typed("x", 13, 4).Typed("s", 13, 4)
            .Node("BitShift", new[] { "x", "s" }, new[] { "l" }, A.Str("direction", "LEFT")).Output("l", 13);
        Assert.Equal(new ulong[] { 0x8000000000000000ul, 2, 0, ulong.MaxValue << 5 }, (ulong[])GeneratorHarness.Compile(c.Build()).Run(x64, s64)[0]);
    }
}
