using System;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Onnx;

/// <summary>Reads a TensorProto (raw_data or the typed fields) into a <see cref="Tensor"/>. Float16 and BFloat16 become float.</summary>
internal static class TensorReader
{
    public static Tensor Read(TensorProto t)
    {
        var name = t.Name;
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new CompileError(DiagnosticDescriptors.MalformedModel, $"tensor '{name}' stores its data in an external file, which is not supported yet");
        var shape = new int[t.Dims.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            long d = t.Dims[i];
            if (d < 0 || d > int.MaxValue) throw new CompileError(DiagnosticDescriptors.MalformedModel, $"tensor '{name}' has dimension {d}");
            shape[i] = (int)d;
        }
        var stored = (DataType)t.DataType;
        var type = stored is DataType.Float16 or DataType.BFloat16 ? DataType.Float : stored;
        if (!DataTypes.IsRuntimeType(type))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"tensor '{name}' has element type {DataTypes.Name(stored)}, which is not supported");
        if (shape.Length > Limits.MaxRank) throw new CompileError(DiagnosticDescriptors.LimitExceeded, $"tensor '{name}' has rank {shape.Length}; the limit is {Limits.MaxRank}");
        long count = Shape.Elements(shape);
        if (count > Limits.MaxTensorElements)
            throw new CompileError(DiagnosticDescriptors.LimitExceeded, $"tensor '{name}' has {count} elements; the limit is {Limits.MaxTensorElements}");
        int n = (int)count;
        // Check the data is really there before allocating for it: a few bytes of protobuf can declare a huge shape.
        long available = t.HasRawData ? t.RawData.Length / DataTypes.Size(stored)
            : stored switch
            {
                DataType.Float => t.FloatData.Count, DataType.Double => t.DoubleData.Count, DataType.Int64 => t.Int64Data.Count,
                DataType.UInt32 or DataType.UInt64 => t.Uint64Data.Count, _ => t.Int32Data.Count,
            };
        if (available != n)
            throw new CompileError(DiagnosticDescriptors.MalformedModel, $"tensor '{name}' holds {available} values but its shape {Shape.Format(shape)} needs {n}");
        var tensor = Tensor.Create(type, shape);

        if (t.HasRawData)
        {
            var raw = t.RawData.Span;
            int size = DataTypes.Size(stored);
            if (raw.Length != (long)n * size)
                throw new CompileError(DiagnosticDescriptors.MalformedModel, $"tensor '{name}' has {raw.Length} bytes of raw data; shape {Shape.Format(shape)} of {DataTypes.Name(stored)} needs {(long)n * size}");
            if (stored == DataType.Float16 || stored == DataType.BFloat16)
            {
                var f = (float[])tensor.Data;
                for (int i = 0; i < n; i++)
                {
                    ushort bits = (ushort)(raw[2 * i] | raw[2 * i + 1] << 8);
                    f[i] = stored == DataType.Float16 ? HalfToFloat(bits) : BFloat16ToFloat(bits);
                }
            }
            else if (tensor.Data is bool[] b)
            {
                for (int i = 0; i < n; i++) b[i] = raw[i] != 0;
            }
            else
            {
                // Little-endian bytes straight into the typed array.
                var dst = tensor.Data;
                Buffer.BlockCopy(raw.ToArray(), 0, dst, 0, raw.Length);
            }
            return tensor;
        }

        switch (stored)
        {
            case DataType.Float:
                Fill(n, t.FloatData.Count, name, i => tensor.Set(i, t.FloatData[i]));
                break;
            case DataType.Double:
                Fill(n, t.DoubleData.Count, name, i => tensor.Set(i, t.DoubleData[i]));
                break;
            case DataType.Int64:
                Fill(n, t.Int64Data.Count, name, i => tensor.SetLong(i, t.Int64Data[i]));
                break;
            case DataType.UInt32:
            case DataType.UInt64:
                Fill(n, t.Uint64Data.Count, name, i => tensor.SetLong(i, unchecked((long)t.Uint64Data[i])));
                break;
            case DataType.Float16:
                Fill(n, t.Int32Data.Count, name, i => tensor.Set(i, HalfToFloat((ushort)t.Int32Data[i])));
                break;
            case DataType.BFloat16:
                Fill(n, t.Int32Data.Count, name, i => tensor.Set(i, BFloat16ToFloat((ushort)t.Int32Data[i])));
                break;
            default: // int32, int16, int8, uint8, uint16, bool live in int32_data
                Fill(n, t.Int32Data.Count, name, i => tensor.SetLong(i, t.Int32Data[i]));
                break;
        }
        return tensor;
    }

    private static void Fill(int n, int available, string name, Action<int> set)
    {
        if (available != n)
            throw new CompileError(DiagnosticDescriptors.MalformedModel, $"tensor '{name}' has {available} values but its shape needs {n}");
        for (int i = 0; i < n; i++) set(i);
    }

    public static float HalfToFloat(ushort h)
    {
        int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
        float v;
        if (exp == 0) v = mant * (1f / (1 << 24));
        else if (exp == 31) v = mant == 0 ? float.PositiveInfinity : float.NaN;
        else v = (1 + mant / 1024f) * (float)Math.Pow(2, exp - 15);
        return sign == 1 ? -v : v;
    }

    public static float BFloat16ToFloat(ushort b) => BitConverter.ToSingle(BitConverter.GetBytes(b << 16), 0);
}
