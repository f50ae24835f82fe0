using System;

namespace EfficientAI.Codegen.Ir;

/// <summary>ONNX element types (TensorProto.DataType numbering).</summary>
internal enum DataType
{
    Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7,
    String = 8, Bool = 9, Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13, BFloat16 = 16,
}

internal static class DataTypes
{
    /// <summary>Element types generated code can hold in a span. Float16/BFloat16 constants are widened to float at import.</summary>
    public static bool IsRuntimeType(DataType t) => t switch
    {
        DataType.Float or DataType.Double or DataType.Int64 or DataType.Int32 or DataType.Int16 or DataType.Int8
            or DataType.UInt8 or DataType.UInt16 or DataType.UInt32 or DataType.UInt64 or DataType.Bool => true,
        _ => false,
    };

    public static int Size(DataType t) => t switch
    {
        DataType.Float or DataType.Int32 or DataType.UInt32 => 4,
        DataType.Double or DataType.Int64 or DataType.UInt64 => 8,
        DataType.Int16 or DataType.UInt16 or DataType.Float16 or DataType.BFloat16 => 2,
        DataType.Int8 or DataType.UInt8 or DataType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "no fixed element size"),
    };

    /// <summary>The C# keyword of the element type.</summary>
    public static string CSharp(DataType t) => t switch
    {
        DataType.Float => "float", DataType.Double => "double", DataType.Int64 => "long", DataType.Int32 => "int",
        DataType.Int16 => "short", DataType.Int8 => "sbyte", DataType.UInt8 => "byte", DataType.UInt16 => "ushort",
        DataType.UInt32 => "uint", DataType.UInt64 => "ulong", DataType.Bool => "bool",
        // Only graph inputs and outputs have these types (see HalfPrecisionBoundary); bfloat16 travels as its bits.
        DataType.Float16 => "global::System.Half", DataType.BFloat16 => "ushort",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "not a runtime element type"),
    };

    public static bool IsHalf(DataType t) => t is DataType.Float16 or DataType.BFloat16;

    public static bool IsFloat(DataType t) => t is DataType.Float or DataType.Double or DataType.Float16 or DataType.BFloat16;

    public static bool IsInteger(DataType t) => t is DataType.Int64 or DataType.Int32 or DataType.Int16 or DataType.Int8
        or DataType.UInt8 or DataType.UInt16 or DataType.UInt32 or DataType.UInt64;

    public static string Name(DataType t) => t.ToString().ToLowerInvariant();
}
