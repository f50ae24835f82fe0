using System;
using System.Text;

using EfficientAI.Codegen.Diagnostics;

namespace EfficientAI.Codegen.Ir;

/// <summary>Static shapes are int arrays; this holds the arithmetic on them, checked against overflow.</summary>
internal static class Shape
{
    public static readonly int[] Scalar = Array.Empty<int>();

    public static long Elements(int[] shape)
    {
        long n = 1;
        foreach (var d in shape) n = checked(n * d);
        return n;
    }

    /// <summary>Element count as an int, or a compile error when a tensor is too large for a span.</summary>
    public static int ElementsInt(int[] shape)
    {
        long n = Elements(shape);
        if (n > int.MaxValue) throw new OverflowException($"tensor of shape {Format(shape)} has more than 2^31 elements");
        return (int)n;
    }

    public static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc = checked(acc * shape[i]); }
        return s;
    }

    /// <summary>numpy multidirectional broadcasting; null when the shapes do not broadcast.</summary>
    public static int[]? Broadcast(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da == db || db == 1) r[i] = da;
            else if (da == 1) r[i] = db;
            else return null;
        }
        return r;
    }

    /// <summary>Element strides of <paramref name="input"/> aligned to an output shape it broadcasts to (0 on broadcast axes).</summary>
    public static int[] BroadcastStrides(int[] input, int[] output)
    {
        var strides = new int[output.Length];
        var own = Strides(input);
        int offset = output.Length - input.Length;
        for (int i = 0; i < input.Length; i++)
            strides[i + offset] = input[i] == 1 && output[i + offset] != 1 ? 0 : own[i];
        return strides;
    }

    public static bool Equal(int[]? a, int[]? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
        return true;
    }

    /// <summary>[1,3,224,224]</summary>
    public static string Format(int[]? shape)
    {
        if (shape is null) return "[?]";
        var sb = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.Append(']').ToString();
    }

    /// <summary>Normalizes a possibly negative axis against a rank.</summary>
    public static int Axis(long axis, int rank)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.Max(rank, 1)) throw new CompileError(Diagnostics.DiagnosticDescriptors.InvalidNode, $"axis {axis} is out of range for rank {rank}");
        return (int)a;
    }
}
