using System;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Cli.Validation;

/// <summary>
/// float16 and bfloat16 in eai: <see cref="TensorData"/> holds their values widened to float[] (as the compiler's
/// constants do); the generated code takes Half[] (float16) and ushort[] bits (bfloat16), ONNX Runtime its own
/// Float16/BFloat16 structs. These convert at those two boundaries.
/// </summary>
internal static class HalfArrays
{
    /// <summary>A zeroed array of the type as held in <see cref="TensorData"/> (float[] for the half types).</summary>
    public static Array New(DataType type, int length) =>
        DataTypes.IsHalf(type) ? new float[length] : Tensor.Create(type, new[] { length }).Data;

    /// <summary>The value as the type stores it (rounded to nearest even for the half types).</summary>
    public static float Round(DataType type, double value) => type switch
    {
        DataType.Float16 => (float)(Half)value,
        DataType.BFloat16 => FromBFloat16(ToBFloat16((float)value)),
        _ => (float)value,
    };

    /// <summary>The array the generated code takes for values of this type.</summary>
    public static Array ToGenerated(DataType type, Array data) => type switch
    {
        DataType.Float16 => Array.ConvertAll((float[])data, v => (Half)v),
        DataType.BFloat16 => Array.ConvertAll((float[])data, ToBFloat16),
        _ => data,
    };

    /// <summary>An array the generated code wrote, as held in <see cref="TensorData"/>.</summary>
    public static Array FromGenerated(Array data) => data switch
    {
        Half[] h => Array.ConvertAll(h, v => (float)v),
        _ => data,
    };

    public static Array FromGeneratedBFloat16(ushort[] bits) => Array.ConvertAll(bits, FromBFloat16);

    public static ushort ToBFloat16(float v)
    {
        uint bits = BitConverter.SingleToUInt32Bits(v);
        if (float.IsNaN(v)) return (ushort)((bits >> 16) | 0x40);
        bits += 0x7FFF + ((bits >> 16) & 1); // round to nearest even
        return (ushort)(bits >> 16);
    }

    public static float FromBFloat16(ushort b) => BitConverter.UInt32BitsToSingle((uint)b << 16);
}
