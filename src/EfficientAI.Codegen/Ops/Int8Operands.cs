using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// What the 8-bit integer ops share: their operands' types, per-tensor or per-channel parameter checks, and the
/// byte views the runtime's Int8Ops take (uint8 and int8 tensors travel as bytes with a signedness flag).
/// </summary>
internal static class Int8Operands
{
    public const string Runtime = "global::EfficientAI.Runtime.";

    /// <summary>Requires input i to be uint8 or int8 and returns whether it is signed.</summary>
    public static bool RequireByte(OpContext ctx, int i)
    {
        var t = ctx.Type(i);
        if (t is not (DataType.UInt8 or DataType.Int8))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: input '{ctx.Node.Inputs[i]}' is {DataTypes.Name(t)}; this op takes uint8 or int8");
        return t == DataType.Int8;
    }

    /// <summary>An optional zero point: absent, or of its tensor's type, with 1 or (when allowed) channels values.</summary>
    public static void CheckZero(OpContext ctx, int i, int tensorInput, int channels)
    {
        if (!ctx.Has(i)) return;
        if (ctx.Type(i) != ctx.Type(tensorInput))
            throw ctx.Fail($"zero point '{ctx.Node.Inputs[i]}' is {DataTypes.Name(ctx.Type(i))}, its tensor is {DataTypes.Name(ctx.Type(tensorInput))}");
        CheckCount(ctx, i, channels);
    }

    /// <summary>A float scale with 1 or (when allowed) channels values.</summary>
    public static void CheckScale(OpContext ctx, int i, int channels)
    {
        ctx.RequireFloat(i);
        CheckCount(ctx, i, channels);
    }

    private static void CheckCount(OpContext ctx, int i, int channels)
    {
        var s = ctx.Shape(i);
        int count = Shape.ElementsInt(s);
        if (s.Length > 1 || (count != 1 && count != channels))
            throw ctx.Fail($"'{ctx.Node.Inputs[i]}' has shape {Shape.Format(s)}; expected one value{(channels > 1 ? $" or {channels} (one per channel)" : "")}");
    }

    /// <summary>The bytes of input i, or an empty span when it is absent.</summary>
    public static string Bytes(EmitContext ctx, int i) =>
        ctx.Has(i) ? $"global::System.Runtime.InteropServices.MemoryMarshal.AsBytes({ctx.In(i)})" : "global::System.ReadOnlySpan<byte>.Empty";

    public static string OutBytes(EmitContext ctx, int i) => $"global::System.Runtime.InteropServices.MemoryMarshal.AsBytes({ctx.Out(i)})";

    public static string ScratchBytes(EmitContext ctx) => $"global::System.Runtime.InteropServices.MemoryMarshal.AsBytes({ctx.Scratch})";

    /// <summary>Scratch floats for a byte count.</summary>
    public static long Floats(long bytes) => (bytes + 3) / 4;

    // The runtime's scratch layouts (Int8Ops.MatMulScratchBytes / ConvScratchBytes); a mismatch throws at run time.
    private static long Align(long bytes) => (bytes + 63) & ~63L;
    private static long RoundUp(long v, long to) => (v + to - 1) / to * to;
    public static long PackedLength(long k, long n) => RoundUp(k, 4) * RoundUp(n, 16);
    public static long MatMulScratchBytes(long m, long n, long k) => Align(PackedLength(k, n)) + Align(4 * n) * 3 + Align(4 * m * n);

    public static long ConvScratchBytes(long c, long m, long kH, long kW, long oH, long oW, long group)
    {
        long positions = oH * oW, depth = c / group * kH * kW;
        long rows = RoundUp(positions * depth, 4) + 4 * positions * (m / group), packed = RoundUp(depth, 4) * RoundUp(positions, 16);
        return Align(group * PackedLength(depth, m / group)) + Align(4 * m) * 3 + System.Math.Max(rows, packed);
    }

    /// <summary>Channel count of a per-axis parameter: the axis' extent of the tensor's shape.</summary>
    public static int AxisOf(OpContext ctx, int[] shape, long axis)
    {
        long a = axis < 0 ? axis + shape.Length : axis;
        if (shape.Length == 0) return 0;
        if (a < 0 || a >= shape.Length) throw ctx.Fail($"axis {axis} is out of range for rank {shape.Length}");
        return (int)a;
    }

    /// <summary>[outer, channels, inner] around the axis.</summary>
    public static (int Outer, int Channels, int Inner) Split(int[] shape, int axis) =>
        (Shape.ElementsInt(shape.Take(axis).ToArray()), shape.Length == 0 ? 1 : shape[axis], Shape.ElementsInt(shape.Skip(axis + 1).ToArray()));
}
