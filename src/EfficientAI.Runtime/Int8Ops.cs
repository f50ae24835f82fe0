// The ONNX integer operators on raw bytes: generated code passes uint8 and int8 tensors as bytes with a signedness
// flag (MemoryMarshal.AsBytes), zero points as the tensors' raw bytes (empty when absent), and one scratch span.
// B operands (and Conv weights) that are graph inputs are packed into the scratch on every call; the scratch
// layouts are fixed by the ScratchBytes functions, which the generator mirrors.
using System;
using System.Runtime.InteropServices;

namespace EfficientAI.Runtime;

/// <summary>MatMulInteger, QLinearMatMul, ConvInteger and QLinearConv over 8-bit tensors.</summary>
public static class Int8Ops
{
    private static int Value(ReadOnlySpan<byte> raw, int i, bool signed) => raw.IsEmpty ? 0 : signed ? (sbyte)raw[raw.Length == 1 ? 0 : i] : raw[raw.Length == 1 ? 0 : i];

    private static int Align(int bytes) => (bytes + 63) & ~63;

    /// <summary>Scratch bytes of <see cref="MatMulInteger"/> and <see cref="QLinearMatMul"/>.</summary>
    public static int MatMulScratchBytes(int m, int n, int k) =>
        Align(Int8Gemm.PackedLength(k, n)) + Align(4 * n) * 3 + Align(4 * m * n);

    /// <summary>Packs one B matrix into the scratch and converts its zero points (1 or n) to the packed values' offsets.</summary>
    private static void PackB(ReadOnlySpan<byte> b, bool bSigned, ReadOnlySpan<byte> bZero, bool transposed, int k, int n,
        Span<sbyte> packed, Span<int> colSums, Span<int> zeros)
    {
        if (bSigned) Int8Gemm.PackB(MemoryMarshal.Cast<byte, sbyte>(b), transposed, k, n, packed, colSums);
        else Int8Gemm.PackB(b, transposed, k, n, packed, colSums);
        for (int j = 0; j < zeros.Length; j++) zeros[j] = Value(bZero, j, bSigned) - (bSigned ? 0 : 128);
    }

    /// <summary>
    /// MatMulInteger: for each batch i, y[i*m*n ..] = (a[aOffsets[i] ..] - aZero) x (b[bOffsets[i] ..] - bZero) as int32;
    /// a [m, k], b [k, n]; aZero 0 or 1 value; bZero 0, 1 or n values.
    /// </summary>
    public static void MatMulInteger(ReadOnlySpan<byte> a, bool aSigned, ReadOnlySpan<byte> aZero, ReadOnlySpan<byte> b, bool bSigned,
        ReadOnlySpan<byte> bZero, Span<int> y, Span<byte> scratch, int m, int n, int k, ReadOnlySpan<int> aOffsets, ReadOnlySpan<int> bOffsets)
    {
        if (scratch.Length < MatMulScratchBytes(m, n, k) || aOffsets.Length != bOffsets.Length) ThrowHelper.Argument("scratch is too short or the offsets differ in length.");
        int packedBytes = Align(Int8Gemm.PackedLength(k, n));
        var packed = MemoryMarshal.Cast<byte, sbyte>(scratch.Slice(0, packedBytes));
        var colSums = MemoryMarshal.Cast<byte, int>(scratch.Slice(packedBytes, 4 * n));
        var zeros = MemoryMarshal.Cast<byte, int>(scratch.Slice(packedBytes + Align(4 * n), 4 * n)).Slice(0, bZero.Length > 1 ? n : 1);
        int za = Value(aZero, 0, aSigned);
        int lastB = -1;
        for (int i = 0; i < aOffsets.Length; i++)
        {
            if (bOffsets[i] != lastB)
            {
                PackB(b.Slice(bOffsets[i], k * n), bSigned, bZero, false, k, n, packed, colSums, zeros);
                lastB = bOffsets[i];
            }
            Int8Gemm.Multiply(a.Slice(aOffsets[i]), k, aSigned, za, packed, colSums, zeros, y.Slice(i * m * n, m * n), n, m, n, k);
        }
    }

    /// <summary>
    /// QLinearMatMul: the int32 product of <see cref="MatMulInteger"/> requantized,
    /// y = saturate(round(sum * aScale * bScale[j] / yScale) + yZero); bScale and bZero 1 or n values.
    /// </summary>
    public static void QLinearMatMul(ReadOnlySpan<byte> a, bool aSigned, ReadOnlySpan<float> aScale, ReadOnlySpan<byte> aZero,
        ReadOnlySpan<byte> b, bool bSigned, ReadOnlySpan<float> bScale, ReadOnlySpan<byte> bZero,
        ReadOnlySpan<float> yScale, ReadOnlySpan<byte> yZero, bool ySigned, Span<byte> y, Span<byte> scratch,
        int m, int n, int k, ReadOnlySpan<int> aOffsets, ReadOnlySpan<int> bOffsets)
    {
        if (scratch.Length < MatMulScratchBytes(m, n, k)) ThrowHelper.Argument("scratch is too short.");
        int packedBytes = Align(Int8Gemm.PackedLength(k, n));
        var multiplier = MemoryMarshal.Cast<byte, float>(scratch.Slice(packedBytes + 2 * Align(4 * n), 4 * n)).Slice(0, bScale.Length > 1 ? n : 1);
        for (int j = 0; j < multiplier.Length; j++) multiplier[j] = aScale[0] * bScale[bScale.Length == 1 ? 0 : j] / yScale[0];
        var acc = MemoryMarshal.Cast<byte, int>(scratch.Slice(packedBytes + 3 * Align(4 * n), 4 * m * n));
        int yz = Value(yZero, 0, ySigned);
        for (int i = 0; i < aOffsets.Length; i++)
        {
            MatMulInteger(a, aSigned, aZero, b, bSigned, bZero, acc, scratch, m, n, k, aOffsets.Slice(i, 1), bOffsets.Slice(i, 1));
            var yi = y.Slice(i * m * n, m * n);
            if (ySigned) Quantize.RequantizeToInt8(acc, n, default, multiplier, yz, MemoryMarshal.Cast<byte, sbyte>(yi), m, n, false, false);
            else Quantize.RequantizeToUInt8(acc, n, default, multiplier, yz, yi, m, n, false, false);
        }
    }

    /// <summary>Scratch bytes of <see cref="ConvInteger"/> and <see cref="QLinearConv"/>.</summary>
    public static int ConvScratchBytes(int c, int m, int kH, int kW, int oH, int oW, int group) =>
        Align(group * Int8Gemm.PackedLength(c / group * kH * kW, m / group)) + Align(4 * m) * 3
        + Int8Conv.ScratchBytes(c, m, kH, kW, oH, oW, group);

    /// <summary>Packs every group's weights W_g [mg, depth] as B = W_g^T into the scratch; returns the rest of the scratch.</summary>
    private static Span<byte> PackWeights(ReadOnlySpan<byte> w, bool wSigned, ReadOnlySpan<byte> wZero, Span<byte> scratch,
        int c, int m, int kH, int kW, int group, out Span<sbyte> packed, out Span<int> colSums, out Span<int> zeros, out Span<float> perChannel)
    {
        int depth = c / group * kH * kW, mg = m / group, packedLength = Int8Gemm.PackedLength(depth, mg);
        int packedBytes = Align(group * packedLength);
        packed = MemoryMarshal.Cast<byte, sbyte>(scratch.Slice(0, packedBytes));
        colSums = MemoryMarshal.Cast<byte, int>(scratch.Slice(packedBytes, 4 * m));
        zeros = MemoryMarshal.Cast<byte, int>(scratch.Slice(packedBytes + Align(4 * m), 4 * m)).Slice(0, wZero.Length > 1 ? m : 1);
        perChannel = MemoryMarshal.Cast<byte, float>(scratch.Slice(packedBytes + 2 * Align(4 * m), 4 * m));
        for (int g = 0; g < group; g++)
        {
            var gz = zeros.Length == 1 ? zeros : zeros.Slice(g * mg, mg);
            var gZero = wZero.Length > 1 ? wZero.Slice(g * mg, mg) : wZero;
            PackB(w.Slice(g * mg * depth, mg * depth), wSigned, gZero, true, depth, mg, packed.Slice(g * packedLength, packedLength), colSums.Slice(g * mg, mg), gz);
        }
        return scratch.Slice(packedBytes + 3 * Align(4 * m));
    }

    /// <summary>ConvInteger: int32 y = conv(x - xZero, w - wZero) with w [m, c/group, kH, kW] a graph input; wZero 0, 1 or m values.</summary>
    public static void ConvInteger(ReadOnlySpan<byte> x, bool xSigned, ReadOnlySpan<byte> xZero, ReadOnlySpan<byte> w, bool wSigned, ReadOnlySpan<byte> wZero,
        Span<int> y, Span<byte> scratch, int n, int c, int h, int wi, int m, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int group)
    {
        if (scratch.Length < ConvScratchBytes(c, m, kH, kW, oH, oW, group)) ThrowHelper.Argument("scratch is too short.");
        var rest = PackWeights(w, wSigned, wZero, scratch, c, m, kH, kW, group, out var packed, out var colSums, out var zeros, out _);
        Int8Conv.ToInt32(x, xSigned, Value(xZero, 0, xSigned), packed, colSums, zeros, y, rest,
            n, c, h, wi, m, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, group);
    }

    /// <summary>
    /// QLinearConv: y = saturate(round((conv(x - xZero, w - wZero) + bias[ch]) * xScale * wScale[ch] / yScale) + yZero).
    /// wScale and wZero 1 or m values; bias int32 [m] or empty.
    /// </summary>
    public static void QLinearConv(ReadOnlySpan<byte> x, bool xSigned, ReadOnlySpan<float> xScale, ReadOnlySpan<byte> xZero,
        ReadOnlySpan<byte> w, bool wSigned, ReadOnlySpan<float> wScale, ReadOnlySpan<byte> wZero,
        ReadOnlySpan<float> yScale, ReadOnlySpan<byte> yZero, bool ySigned, ReadOnlySpan<int> bias, Span<byte> y, Span<byte> scratch,
        int n, int c, int h, int wi, int m, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int group)
    {
        if (scratch.Length < ConvScratchBytes(c, m, kH, kW, oH, oW, group)) ThrowHelper.Argument("scratch is too short.");
        var rest = PackWeights(w, wSigned, wZero, scratch, c, m, kH, kW, group, out var packed, out var colSums, out var zeros, out var multiplier);
        var mult = multiplier.Slice(0, wScale.Length > 1 ? m : 1);
        for (int ch = 0; ch < mult.Length; ch++) mult[ch] = xScale[0] * wScale[wScale.Length == 1 ? 0 : ch] / yScale[0];
        Int8Conv.ToQuantized(x, xSigned, Value(xZero, 0, xSigned), packed, colSums, zeros, bias, mult, Value(yZero, 0, ySigned), ySigned, y, rest,
            n, c, h, wi, m, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, group);
    }

    /// <summary>Scratch bytes of <see cref="FloatMatMul"/>: a's quantized bytes and the int32 sums.</summary>
    public static int FloatMatMulScratchBytes(int m, int n, int k) => Align(m * k) + 4 * m * n;

    /// <summary>
    /// A float layer on int8 weights (Gemm/MatMul under Quantize="int8"): a [m, k] is quantized to uint8 with aScale and
    /// aZero, or, when aScale is 0, with a scale and zero point computed from a's range on this call (dynamic
    /// quantization); then y = (sum_p (a_q - aZero) * w_q[p, j]) * aScale * wScales[j] + bias[j] over the packed
    /// symmetric int8 weights. bias may be empty. intBias (static scale only; empty: none) is a bias quantized with
    /// scale aScale * wScales[j] and added to the int32 sums before they are scaled.
    /// </summary>
    public static void FloatMatMul(ReadOnlySpan<float> a, float aScale, int aZero, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums,
        ReadOnlySpan<float> wScales, ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch, int m, int n, int k, ReadOnlySpan<int> intBias = default)
    {
        if (!intBias.IsEmpty && (intBias.Length < n || aScale == 0f)) ThrowHelper.Argument("intBias needs n values and a static activation scale.");
        if (a.Length < m * k || y.Length < m * n || scratch.Length < FloatMatMulScratchBytes(m, n, k) || wScales.Length < n || (!bias.IsEmpty && bias.Length < n))
            ThrowHelper.Argument("A span is shorter than its shape.");
        var aq = scratch.Slice(0, m * k);
        if (aScale == 0f)
        {
            Quantize.Dynamic(a.Slice(0, m * k), aq, out aScale, out byte zero);
            aZero = zero;
        }
        else
        {
            Span<float> scale = stackalloc float[] { aScale };
            Span<byte> zeroPoint = stackalloc byte[] { (byte)aZero };
            Quantize.ToUInt8(a.Slice(0, m * k), scale, zeroPoint, aq, 1, 1, m * k);
        }
        var acc = MemoryMarshal.Cast<byte, int>(scratch.Slice(Align(m * k), 4 * m * n));
        ReadOnlySpan<int> noZeros = stackalloc int[1];
        Int8Gemm.Multiply(aq, k, false, aZero, packedW, colSums, noZeros, acc, n, m, n, k);
        if (!intBias.IsEmpty)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) acc[i * n + j] += intBias[j];
        Quantize.ToFloat(acc, n, wScales, aScale, bias, y, m, n, false, false);
    }

    /// <summary>Scratch bytes of <see cref="FloatConv"/>.</summary>
    public static int FloatConvScratchBytes(int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW, int group) =>
        Align(n * c * h * w) + Int8Conv.ScratchBytes(c, m, kH, kW, oH, oW, group);

    /// <summary>
    /// A float Conv on int8 weights: x is quantized as in <see cref="FloatMatMul"/> (static scale, or dynamic when
    /// xScale is 0), convolved with the packed symmetric int8 weights, and y = sum * xScale * wScales[ch] + bias[ch]; with
    /// intBias (static scale only), y = (sum + intBias[ch]) * xScale * wScales[ch] + bias[ch]; then the activation.
    /// </summary>
    public static void FloatConv(ReadOnlySpan<float> x, float xScale, int xZero, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums,
        ReadOnlySpan<float> wScales, ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch,
        int n, int c, int h, int wi, int m, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int group, ReadOnlySpan<int> intBias = default,
        Activation activation = default)
    {
        int count = n * c * h * wi;
        if (!intBias.IsEmpty && xScale == 0f) ThrowHelper.Argument("intBias needs a static activation scale.");
        if (x.Length < count || scratch.Length < FloatConvScratchBytes(n, c, h, wi, m, kH, kW, oH, oW, group) || wScales.Length < m)
            ThrowHelper.Argument("A span is shorter than its shape.");
        var xq = scratch.Slice(0, count);
        if (xScale == 0f)
        {
            Quantize.Dynamic(x.Slice(0, count), xq, out xScale, out byte zero);
            xZero = zero;
        }
        else
        {
            Span<float> scale = stackalloc float[] { xScale };
            Span<byte> zeroPoint = stackalloc byte[] { (byte)xZero };
            Quantize.ToUInt8(x.Slice(0, count), scale, zeroPoint, xq, 1, 1, count);
        }
        Int8Conv.ToFloat(xq, false, xZero, xScale, packedW, colSums, wScales, bias, y, scratch.Slice(Align(count)),
            n, c, h, wi, m, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, group, intBias, activation);
    }
}
