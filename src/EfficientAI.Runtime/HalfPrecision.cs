// Float16 and bfloat16 tensors cross the model's boundary in their own formats (System.Half; bfloat16 as its bit
// pattern in a ushort, since net8.0 has no BFloat16 type) and are computed in float inside. Every op whose ONNX
// output type is float16/bfloat16 rounds its float result to that precision, so chains of ops match a run in the
// narrow type.
using System;
using System.Numerics.Tensors;

namespace EfficientAI.Runtime;

/// <summary>Conversions between float and the 16-bit float formats, and rounding of float values to them.</summary>
public static class HalfPrecision
{
    /// <summary>y = (float)x.</summary>
    public static void Widen(ReadOnlySpan<Half> x, Span<float> y)
    {
        if (y.Length < x.Length) ThrowHelper.Argument("y is shorter than x.");
        TensorPrimitives.ConvertToSingle(x, y);
    }

    /// <summary>y = (Half)x, rounded to nearest even.</summary>
    public static void Narrow(ReadOnlySpan<float> x, Span<Half> y)
    {
        if (y.Length < x.Length) ThrowHelper.Argument("y is shorter than x.");
        TensorPrimitives.ConvertToHalf(x, y);
    }

    /// <summary>y = the float of each bfloat16 bit pattern (its bits are a float's top 16).</summary>
    public static void WidenBFloat16(ReadOnlySpan<ushort> x, Span<float> y)
    {
        if (y.Length < x.Length) ThrowHelper.Argument("y is shorter than x.");
        for (int i = 0; i < x.Length; i++) y[i] = BitConverter.UInt32BitsToSingle((uint)x[i] << 16);
    }

    /// <summary>y = the bfloat16 bit pattern of each float, rounded to nearest even; NaN stays NaN.</summary>
    public static void NarrowBFloat16(ReadOnlySpan<float> x, Span<ushort> y)
    {
        if (y.Length < x.Length) ThrowHelper.Argument("y is shorter than x.");
        for (int i = 0; i < x.Length; i++) y[i] = (ushort)(RoundBFloat16Bits(x[i]) >> 16);
    }

    /// <summary>Rounds every value to the nearest float16 (ties to even; overflow to infinity), in place.</summary>
    public static void RoundToHalf(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = (float)(Half)x[i];
    }

    /// <summary>Rounds every value to the nearest bfloat16 (ties to even), in place.</summary>
    public static void RoundToBFloat16(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = BitConverter.UInt32BitsToSingle(RoundBFloat16Bits(x[i]));
    }

    // The float's bits rounded to their top 16 (nearest, ties to even); the carry cannot turn a NaN into infinity.
    private static uint RoundBFloat16Bits(float v)
    {
        uint bits = BitConverter.SingleToUInt32Bits(v);
        if (float.IsNaN(v)) return (bits | 0x00400000u) & 0xFFFF0000u; // quiet NaN: its payload may sit in the dropped bits
        return (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
    }
}
