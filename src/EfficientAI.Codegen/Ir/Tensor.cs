using System;

using EfficientAI.Codegen.Diagnostics;

namespace EfficientAI.Codegen.Ir;

/// <summary>
/// A constant tensor known at compile time. <see cref="Data"/> is a typed array matching <see cref="Type"/>:
/// float[], double[], long[], int[], short[], sbyte[], byte[], ushort[], uint[], ulong[] or bool[].
/// Float16/BFloat16 are widened to float when read, so they never appear here.
/// </summary>
internal sealed class Tensor
{
    public Tensor(DataType type, int[] shape, Array data)
    {
        Type = type;
        Shape = shape;
        Data = data;
        if (data.Length != Ir.Shape.Elements(shape))
            throw new CompileError(Diagnostics.DiagnosticDescriptors.MalformedModel,
                $"tensor data has {data.Length} elements but its shape {Ir.Shape.Format(shape)} needs {Ir.Shape.Elements(shape)}");
    }

    public DataType Type { get; }
    public int[] Shape { get; }
    public Array Data { get; }
    public int Length => Data.Length;

    public static Tensor Create(DataType type, int[] shape)
    {
        int n = Ir.Shape.ElementsInt(shape);
        Array data = type switch
        {
            DataType.Float => new float[n], DataType.Double => new double[n], DataType.Int64 => new long[n],
            DataType.Int32 => new int[n], DataType.Int16 => new short[n], DataType.Int8 => new sbyte[n],
            DataType.UInt8 => new byte[n], DataType.UInt16 => new ushort[n], DataType.UInt32 => new uint[n],
            DataType.UInt64 => new ulong[n], DataType.Bool => new bool[n],
            _ => throw new CompileError(Diagnostics.DiagnosticDescriptors.UnsupportedType, $"element type {DataTypes.Name(type)} is not supported"),
        };
        return new Tensor(type, shape, data);
    }

    public static Tensor FromFloats(int[] shape, float[] data) => new(DataType.Float, shape, data);
    public static Tensor FromLongs(int[] shape, long[] data) => new(DataType.Int64, shape, data);

    // Dispatch on Type, not on the array's runtime type: the CLR treats byte[]/sbyte[], ushort[]/short[],
    // uint[]/int[] and ulong[]/long[] as each other ("is sbyte[]" is true for a byte[]), so a type pattern
    // would read uint8 128 as -128.
    public double GetDouble(int i) => Type switch
    {
        DataType.Float or DataType.Float16 or DataType.BFloat16 => ((float[])Data)[i], DataType.Double => ((double[])Data)[i],
        DataType.UInt64 => ((ulong[])Data)[i],
        DataType.Bool => ((bool[])Data)[i] ? 1 : 0,
        _ => GetLong(i),
    };

    public long GetLong(int i) => Type switch
    {
        DataType.Int64 => ((long[])Data)[i], DataType.Int32 => ((int[])Data)[i], DataType.Int16 => ((short[])Data)[i],
        DataType.Int8 => ((sbyte[])Data)[i], DataType.UInt8 => ((byte[])Data)[i], DataType.UInt16 => ((ushort[])Data)[i],
        DataType.UInt32 => ((uint[])Data)[i], DataType.UInt64 => unchecked((long)((ulong[])Data)[i]),
        DataType.Bool => ((bool[])Data)[i] ? 1 : 0,
        DataType.Float or DataType.Float16 or DataType.BFloat16 => (long)((float[])Data)[i], DataType.Double => (long)((double[])Data)[i],
        _ => throw new InvalidOperationException(),
    };

    /// <summary>Stores a value converted to this tensor's element type (C cast semantics, as ONNX Cast).</summary>
    public void Set(int i, double v)
    {
        switch (Type)
        {
            case DataType.Float or DataType.Float16 or DataType.BFloat16: ((float[])Data)[i] = (float)v; break;
            case DataType.Double: ((double[])Data)[i] = v; break;
            case DataType.Int64: ((long[])Data)[i] = double.IsNaN(v) ? long.MinValue : (long)v; break;
            case DataType.UInt64: ((ulong[])Data)[i] = v >= 9223372036854775808.0 ? (ulong)v : unchecked((ulong)(long)v); break;
            case DataType.Bool: ((bool[])Data)[i] = v != 0; break;
            default: SetLong(i, double.IsNaN(v) ? long.MinValue : (long)v); break;
        }
    }

    /// <summary>Stores an integer exactly (doubles lose int64 precision past 2^53), wrapping to narrower types.</summary>
    public void SetLong(int i, long v)
    {
        switch (Type)
        {
            case DataType.Int64: ((long[])Data)[i] = v; break;
            case DataType.Int32: ((int[])Data)[i] = unchecked((int)v); break;
            case DataType.Int16: ((short[])Data)[i] = unchecked((short)v); break;
            case DataType.Int8: ((sbyte[])Data)[i] = unchecked((sbyte)v); break;
            case DataType.UInt8: ((byte[])Data)[i] = unchecked((byte)v); break;
            case DataType.UInt16: ((ushort[])Data)[i] = unchecked((ushort)v); break;
            case DataType.UInt32: ((uint[])Data)[i] = unchecked((uint)v); break;
            case DataType.UInt64: ((ulong[])Data)[i] = unchecked((ulong)v); break;
            case DataType.Bool: ((bool[])Data)[i] = v != 0; break;
            default: Set(i, v); break;
        }
    }

    public float[] ToFloats()
    {
        if (Data is float[] f) return f;
        var r = new float[Length];
        for (int i = 0; i < r.Length; i++) r[i] = (float)GetDouble(i);
        return r;
    }

    public long[] ToLongs()
    {
        if (Data is long[] l) return l;
        var r = new long[Length];
        for (int i = 0; i < r.Length; i++) r[i] = GetLong(i);
        return r;
    }

    /// <summary>Values of a 1-D int64 tensor as ints, checked (shapes, axes, pads).</summary>
    public int[] ToInts()
    {
        var r = new int[Length];
        for (int i = 0; i < r.Length; i++) r[i] = checked((int)Math.Max(int.MinValue, Math.Min(int.MaxValue, GetLong(i))));
        return r;
    }

    public Tensor Reshape(int[] shape) => new(Type, shape, Data);

    /// <summary>The raw little-endian bytes of the elements, for embedding.</summary>
    public byte[] ToBytes()
    {
        int size = DataTypes.Size(Type);
        var bytes = new byte[checked(Length * size)];
        if (Data is bool[] bo)
        {
            for (int i = 0; i < bo.Length; i++) bytes[i] = bo[i] ? (byte)1 : (byte)0;
        }
        else
        {
            Buffer.BlockCopy(Data, 0, bytes, 0, bytes.Length);
        }
        return bytes;
    }
}

internal static class TensorMoves
{
    /// <summary>A tensor of outShape whose element o is source element map(o): the compile-time form of every data-movement op.</summary>
    public static Tensor Take(Tensor source, int[] outShape, System.Func<int, int> map)
    {
        var result = Tensor.Create(source.Type, outShape);
        for (int o = 0; o < result.Length; o++) System.Array.Copy(source.Data, map(o), result.Data, o, 1);
        return result;
    }

    /// <summary>Source element index for every output element of a transpose.</summary>
    public static int[] TransposeMap(int[] inShape, int[] perm)
    {
        var outShape = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) outShape[i] = inShape[perm[i]];
        var inStrides = Shape.Strides(inShape);
        var permStrides = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) permStrides[i] = inStrides[perm[i]];
        var map = new int[Shape.ElementsInt(outShape)];
        Ops.Elementwise.ForEachIndex(outShape, permStrides, new int[perm.Length], (o, s, _) => map[o] = s);
        return map;
    }
}
