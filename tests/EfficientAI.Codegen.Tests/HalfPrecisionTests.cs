using System;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// Float16 inputs and outputs are System.Half spans, bfloat16 ones ushort bit patterns; inside, float values that
/// stand for float16/bfloat16 tensors are rounded to that precision by every op that writes them.
/// </summary>
public class HalfPrecisionTests
{
    private static Half[] Halves(int n, int seed, float scale = 4f) => OrtReference.RandomFloats(n, seed, scale).Select(v => (Half)v).ToArray();

    /// <summary>Float16 through Max, Cast to float and back: exact against ONNX Runtime (atol 0, rtol 0 on float16 outputs).</summary>
    [Fact]
    public void Float16InputsAndOutputsAreHalfSpans()
    {
        var b = new OnnxBuilder(13).Typed("a", 10, 3, 7).Typed("b", 10, 7)
            .Node("Max", new[] { "a", "b" }, new[] { "m" })
            .Node("Cast", new[] { "m" }, new[] { "f" }, A.Int("to", 1))
            .Node("Mul", new[] { "f", "f" }, new[] { "sq" })
            .Node("Cast", new[] { "sq" }, new[] { "y" }, A.Int("to", 10))
            .Output("m", 10).Output("y", 10).Output("sq");
        var outputs = TypedInputs.AgainstOrt(b.Build(), new[] { ("a", (Array)Halves(21, 1), new[] { 3, 7 }), ("b", Halves(7, 2), new[] { 7 }) }, rtol: 0, atol: 0);
        Assert.IsType<Half[]>(outputs[0]);
        Assert.IsType<Half[]>(outputs[1]);
        Assert.IsType<float[]>(outputs[2]);
    }

    /// <summary>
    /// An op on float16 values (Add, Div) rounds its result to float16, so a chain matches ONNX Runtime computing in
    /// float16 within one float16 rounding step (rtol 2^-10).
    /// </summary>
    [Fact]
    public void Float16ChainsRoundEveryStep()
    {
        var b = new OnnxBuilder(13).Typed("a", 10, 2, 9).Typed("b", 10, 2, 9)
            .Node("Add", new[] { "a", "b" }, new[] { "s" })
            .Node("Div", new[] { "s", "b" }, new[] { "y" })
            .Output("y", 10);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("a", (Array)Halves(18, 3), new[] { 2, 9 }), ("b", Halves(18, 4), new[] { 2, 9 }) }, rtol: 1.0 / 1024, atol: 0);
    }

    /// <summary>
    /// bfloat16 crosses the boundary as ushort bits: Cast to bfloat16 rounds to nearest even (NaN stays NaN), and
    /// a bfloat16 input widens exactly. Checked against the bit arithmetic written out here.
    /// </summary>
    [Fact]
    public void BFloat16IsItsBitPatternInUshort()
    {
        var x = new[] { 1f, 1.00390625f, 1.01171875f, -3.14159f, 65504f, float.NaN, float.NegativeInfinity, 1e-40f, 3.3e38f };
        var b = new OnnxBuilder(13).Typed("x", 1, x.Length).Typed("w", 16, x.Length)
            .Node("Cast", new[] { "x" }, new[] { "y" }, A.Int("to", 16))
            .Node("Cast", new[] { "w" }, new[] { "z" }, A.Int("to", 1))
            .Output("y", 16).Output("z");
        var w = new ushort[] { 0x3F80, 0xC049, 0x7F80, 0x0001, 0x7FC0, 0x4780, 0x8000, 0x3C00, 0x4000 };
        var outputs = GeneratorHarness.Compile(b.Build()).Run(x, w);

        static ushort Round(float v)
        {
            uint bits = BitConverter.SingleToUInt32Bits(v);
            if (float.IsNaN(v)) return (ushort)((bits | 0x00400000u) >> 16);
            return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
        }
        Assert.Equal(x.Select(Round).ToArray(), (ushort[])outputs[0]);
        Assert.Equal(w.Select(v => BitConverter.UInt32BitsToSingle((uint)v << 16)).ToArray(), (float[])outputs[1]);
    }

    /// <summary>Float16 initializers fold with the model's float16 precision; the result crosses as Half.</summary>
    [Fact]
    public void Float16ConstantsFoldAtThatPrecision()
    {
        var b = new OnnxBuilder(13).Typed("x", 10, 5);
        b.Graph.Initializer.Add(Half16("c", new[] { 0.1f, 0.2f, 0.3f, 1000.5f, -7.25f }));
        b.Graph.Initializer.Add(Half16("d", new[] { 0.7f, 0.9f, 1.1f, 3.3f, 2.5f }));
        b.Node("Mul", new[] { "c", "d" }, new[] { "cd" }).Node("Add", new[] { "x", "cd" }, new[] { "y" }).Output("y", 10);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)Halves(5, 6), new[] { 5 }) }, rtol: 1.0 / 1024, atol: 0);
    }

    private static Onnx.Proto.TensorProto Half16(string name, float[] values)
    {
        var t = new Onnx.Proto.TensorProto { Name = name, DataType = 10 };
        t.Dims.Add(values.Length);
        t.RawData = Google.Protobuf.ByteString.CopyFrom(values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray());
        return t;
    }
}
