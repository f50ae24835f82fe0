// Conversions between float and 8-bit integers, and requantization of int32 sums. Scales and zero points are
// per tensor (one value) or per channel along one axis; a tensor is seen as [outer, channels, inner].
// Rounding is half to even (ONNX's round), after the division x / scale, as the ONNX reference computes it.
using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

/// <summary>QuantizeLinear, DequantizeLinear, dynamic quantization and int32 requantization.</summary>
public static class Quantize
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Saturate(float v, int lo, int hi)
    {
        // NaN maps to lo, as a float-to-int conversion with clamping would not define it.
        if (!(v >= lo)) return lo;
        return v > hi ? hi : (int)v;
    }

    /// <summary>y = saturate(round(x / scale[ch]) + zero[ch]) as uint8. zero empty means 0; scales and zero hold 1 or channels values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToUInt8(ReadOnlySpan<float> x, ReadOnlySpan<float> scales, ReadOnlySpan<byte> zero, Span<byte> y, int outer, int channels, int inner)
    {
        Check(x.Length, y.Length, scales.Length, zero.Length, outer, channels, inner);
        int i = 0;
        for (int o = 0; o < outer; o++)
        {
            for (int ch = 0; ch < channels; ch++)
            {
                int c = scales.Length == 1 ? 0 : ch;
                float s = scales[c];
                int z = zero.IsEmpty ? 0 : zero[zero.Length == 1 ? 0 : ch];
                ToUInt8(x.Slice(i, inner), s, z, y.Slice(i, inner));
                i += inner;
            }
        }
    }

    /// <summary>y = saturate(round(x / scale[ch]) + zero[ch]) as int8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToInt8(ReadOnlySpan<float> x, ReadOnlySpan<float> scales, ReadOnlySpan<sbyte> zero, Span<sbyte> y, int outer, int channels, int inner)
    {
        Check(x.Length, y.Length, scales.Length, zero.Length, outer, channels, inner);
        int i = 0;
        for (int o = 0; o < outer; o++)
        {
            for (int ch = 0; ch < channels; ch++)
            {
                float s = scales[scales.Length == 1 ? 0 : ch];
                int z = zero.IsEmpty ? 0 : zero[zero.Length == 1 ? 0 : ch];
                for (int t = 0; t < inner; t++, i++) y[i] = (sbyte)Saturate(MathF.Round(x[i] / s) + z, -128, 127);
            }
        }
    }

    /// <summary>y = (x - zero[ch]) * scale[ch] for uint8 x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FromUInt8(ReadOnlySpan<byte> x, ReadOnlySpan<float> scales, ReadOnlySpan<byte> zero, Span<float> y, int outer, int channels, int inner)
    {
        Check(x.Length, y.Length, scales.Length, zero.Length, outer, channels, inner);
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int ch = 0; ch < channels; ch++)
            {
                float s = scales[scales.Length == 1 ? 0 : ch];
                int z = zero.IsEmpty ? 0 : zero[zero.Length == 1 ? 0 : ch];
                for (int t = 0; t < inner; t++, i++) y[i] = (x[i] - z) * s;
            }
    }

    /// <summary>y = (x - zero[ch]) * scale[ch] for int8 x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FromInt8(ReadOnlySpan<sbyte> x, ReadOnlySpan<float> scales, ReadOnlySpan<sbyte> zero, Span<float> y, int outer, int channels, int inner)
    {
        Check(x.Length, y.Length, scales.Length, zero.Length, outer, channels, inner);
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int ch = 0; ch < channels; ch++)
            {
                float s = scales[scales.Length == 1 ? 0 : ch];
                int z = zero.IsEmpty ? 0 : zero[zero.Length == 1 ? 0 : ch];
                for (int t = 0; t < inner; t++, i++) y[i] = (x[i] - z) * s;
            }
    }

    /// <summary>y = (x - zero[ch]) * scale[ch] for int32 x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FromInt32(ReadOnlySpan<int> x, ReadOnlySpan<float> scales, ReadOnlySpan<int> zero, Span<float> y, int outer, int channels, int inner)
    {
        Check(x.Length, y.Length, scales.Length, zero.Length, outer, channels, inner);
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int ch = 0; ch < channels; ch++)
            {
                float s = scales[scales.Length == 1 ? 0 : ch];
                int z = zero.IsEmpty ? 0 : zero[zero.Length == 1 ? 0 : ch];
                for (int t = 0; t < inner; t++, i++) y[i] = (float)((long)x[i] - z) * s;
            }
    }

    private static void Check(int xLength, int yLength, int scales, int zeros, int outer, int channels, int inner)
    {
        int count = outer * channels * inner;
        if (xLength < count || yLength < count) ThrowHelper.Argument("A span is shorter than its shape.");
        if ((scales != 1 && scales != channels) || (zeros > 1 && zeros != channels)) ThrowHelper.Argument("Scales and zero points need one value or one per channel.");
    }

    /// <summary>
    /// DynamicQuantizeLinear: scale = (max(x, 0) - min(x, 0)) / 255, zero = saturate(round(-min / scale)),
    /// y = saturate(round(x / scale) + zero) as uint8. A tensor of zeros gets scale 0 and zero point 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dynamic(ReadOnlySpan<float> x, Span<byte> y, out float scale, out byte zero)
    {
        if (y.Length < x.Length) ThrowHelper.Argument("y is shorter than x.");
        var (lowest, highest) = MinMax(x);
        float min = x.IsEmpty ? 0f : Math.Min(0f, lowest);
        float max = x.IsEmpty ? 0f : Math.Max(0f, highest);
        scale = (max - min) / 255f;
        if (scale == 0f)
        {
            zero = 0;
            y.Slice(0, x.Length).Clear();
            return;
        }
        zero = (byte)Saturate(MathF.Round((0f - min) / scale), 0, 255);
        ToUInt8(x, scale, zero, y);
    }

    /// <summary>
    /// The smallest and largest of x in one pass (NaN for both when x holds a NaN, as TensorPrimitives.Min and Max
    /// each return it); x is not empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (float Min, float Max) MinMax(ReadOnlySpan<float> x)
    {
        if (!Avx512F.IsSupported || x.Length < 16) return x.IsEmpty ? (0f, 0f) : (TensorPrimitives.Min(x), TensorPrimitives.Max(x));
        fixed (float* px = x)
        {
            var lo = Avx512F.LoadVector512(px);
            var hi = lo;
            var nan = Vector512<float>.Zero;
            int i = 16;
            for (; i + 16 <= x.Length; i += 16)
            {
                var v = Avx512F.LoadVector512(px + i);
                lo = Avx512F.Min(lo, v);
                hi = Avx512F.Max(hi, v);
                nan |= Vector512.Equals(v, v) ^ Vector512<float>.AllBitsSet;
            }
            // The last 16 values again (overlapping is harmless for min and max).
            var tail = Avx512F.LoadVector512(px + x.Length - 16);
            lo = Avx512F.Min(lo, tail);
            hi = Avx512F.Max(hi, tail);
            nan |= Vector512.Equals(tail, tail) ^ Vector512<float>.AllBitsSet;
            nan |= Vector512.Equals(lo, lo) ^ Vector512<float>.AllBitsSet; // a NaN in the first vector
            if (nan != Vector512<float>.Zero) return (float.NaN, float.NaN);
            float min = lo.GetElement(0), max = hi.GetElement(0);
            for (int t = 1; t < 16; t++)
            {
                min = Math.Min(min, lo.GetElement(t));
                max = Math.Max(max, hi.GetElement(t));
            }
            return (min, max);
        }
    }

    /// <summary>y = saturate(round(x / s) + z) as uint8, eight values at a time where AVX2 is there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ToUInt8(ReadOnlySpan<float> x, float s, int z, Span<byte> y)
    {
        int i = 0;
        if (Avx512F.IsSupported && x.Length >= 16)
        {
            var scale = Vector512.Create(s);
            var zero = Vector512.Create((float)z);
            var lo = Vector512<float>.Zero;
            var hi = Vector512.Create(255f);
            fixed (float* px = x)
            fixed (byte* py = y)
            {
                for (; i + 16 <= x.Length; i += 16)
                {
                    // Control 8: round to nearest even, no precision exception (ONNX's round, as Avx.RoundToNearestInteger).
                    var v = Avx512F.RoundScale(Avx512F.Divide(Avx512F.LoadVector512(px + i), scale), 8) + zero;
                    // maxps returns its second operand when the first is NaN: NaN saturates to 0 as in the scalar code.
                    var q = Avx512F.ConvertToVector512Int32WithTruncation(Avx512F.Min(Avx512F.Max(v, lo), hi));
                    Avx512F.ConvertToVector128Byte(q).Store(py + i); // values are 0..255: plain narrowing is exact
                }
            }
        }
        if (Avx2.IsSupported && x.Length - i >= 8)
        {
            var scale = Vector256.Create(s);
            var zero = Vector256.Create((float)z);
            var lo = Vector256<float>.Zero;
            var hi = Vector256.Create(255f);
            fixed (float* px = x)
            fixed (byte* py = y)
            {
                for (; i + 8 <= x.Length; i += 8)
                {
                    var v = Avx.RoundToNearestInteger(Avx.Divide(Avx.LoadVector256(px + i), scale)) + zero;
                    // maxps returns its second operand when the first is NaN: NaN saturates to 0 as in the scalar code.
                    var q = Avx.ConvertToVector256Int32WithTruncation(Avx.Min(Avx.Max(v, lo), hi));
                    var words = Vector256.Narrow(q, q); // values are 0..255: plain narrowing is exact
                    var bytes = Vector256.Narrow(words.AsUInt16(), words.AsUInt16());
                    *(ulong*)(py + i) = bytes.AsUInt64().GetElement(0);
                }
            }
        }
        for (; i < x.Length; i++) y[i] = (byte)Saturate(MathF.Round(x[i] / s) + z, 0, 255);
    }

    /// <summary>
    /// Requantizes int32 sums laid out [rows, cols] (row stride ldAcc) into y as uint8:
    /// y = saturate(round((acc + bias[ch]) * multiplier[ch]) + zero), where ch is the column, or the row when
    /// perRow. bias may be empty; multiplier holds 1 value or one per channel. With transposeOut, y is [cols, rows].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RequantizeToUInt8(ReadOnlySpan<int> acc, int ldAcc, ReadOnlySpan<int> bias, ReadOnlySpan<float> multiplier, int zero,
        Span<byte> y, int rows, int cols, bool perRow, bool transposeOut)
    {
        CheckRequantize(acc.Length, ldAcc, y.Length, rows, cols);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int ch = perRow ? r : c;
                int sum = acc[r * ldAcc + c] + (bias.IsEmpty ? 0 : bias[ch]);
                float v = MathF.Round(sum * multiplier[multiplier.Length == 1 ? 0 : ch]) + zero;
                y[transposeOut ? c * rows + r : r * cols + c] = (byte)Saturate(v, 0, 255);
            }
    }

    /// <summary>As <see cref="RequantizeToUInt8"/>, to int8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RequantizeToInt8(ReadOnlySpan<int> acc, int ldAcc, ReadOnlySpan<int> bias, ReadOnlySpan<float> multiplier, int zero,
        Span<sbyte> y, int rows, int cols, bool perRow, bool transposeOut)
    {
        CheckRequantize(acc.Length, ldAcc, y.Length, rows, cols);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int ch = perRow ? r : c;
                int sum = acc[r * ldAcc + c] + (bias.IsEmpty ? 0 : bias[ch]);
                float v = MathF.Round(sum * multiplier[multiplier.Length == 1 ? 0 : ch]) + zero;
                y[transposeOut ? c * rows + r : r * cols + c] = (sbyte)Saturate(v, -128, 127);
            }
    }

    /// <summary>
    /// Scales int32 sums to float: y = acc * multiplier[ch] * rowScale + bias[ch] (ch the column, or the row when
    /// perRow); the output of an int8 layer whose activations were quantized with scale rowScale.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void ToFloat(ReadOnlySpan<int> acc, int ldAcc, ReadOnlySpan<float> multiplier, float rowScale, ReadOnlySpan<float> bias,
        Span<float> y, int rows, int cols, bool perRow, bool transposeOut)
    {
        CheckRequantize(acc.Length, ldAcc, y.Length, rows, cols);
        int channels = perRow ? rows : cols;
        if ((multiplier.Length != 1 && multiplier.Length < channels) || (!bias.IsEmpty && bias.Length < channels)) ThrowHelper.Argument("multiplier or bias is too short.");
        if (rows <= 0 || cols <= 0) return;
        bool oneMultiplier = multiplier.Length == 1;
        fixed (int* pa = acc)
        fixed (float* pm = multiplier, pb = bias, py = y)
        {
            // Channel-outer order: each channel's factor and bias are loaded once; the output walks contiguously.
            if (transposeOut && !perRow)
            {
                for (int c = 0; c < cols; c++)
                {
                    float f = pm[oneMultiplier ? 0 : c] * rowScale, b = pb == null ? 0f : pb[c];
                    float* yc = py + (nint)c * rows;
                    int* ac = pa + c;
                    for (int r = 0; r < rows; r++) yc[r] = ac[(nint)r * ldAcc] * f + b;
                }
                return;
            }
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                {
                    int ch = perRow ? r : c;
                    float v = pa[(nint)r * ldAcc + c] * (pm[oneMultiplier ? 0 : ch] * rowScale) + (pb == null ? 0f : pb[ch]);
                    py[transposeOut ? (nint)c * rows + r : (nint)r * cols + c] = v;
                }
        }
    }

    private static void CheckRequantize(int accLength, int ldAcc, int yLength, int rows, int cols)
    {
        if (rows <= 0 || cols <= 0) return;
        if (accLength < (rows - 1) * ldAcc + cols || yLength < rows * cols) ThrowHelper.Argument("A span is shorter than its shape.");
    }
}
