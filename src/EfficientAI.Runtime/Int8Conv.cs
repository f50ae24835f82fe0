// Int8 convolution as one integer GEMM per (image, group): the input patch of every output position is copied
// into a scratch row (im2col, out-of-range taps hold the input's zero point, i.e. a real zero), and the rows
// times the packed weights (B = W^T, [cg*kH*kW, mg], packed at compile time) give int32 sums [oH*oW, mg] that
// the caller's epilogue writes out channel-major.
using System;
using System.Runtime.InteropServices;

namespace EfficientAI.Runtime;

/// <summary>Convolution on 8-bit inputs and int8 weights with int32 accumulation.</summary>
public static class Int8Conv
{
    /// <summary>Scratch bytes one call needs: the im2col rows (rounded to 4 bytes) and the int32 sums of one group.</summary>
    public static int ScratchBytes(int c, int m, int kH, int kW, int oH, int oW, int group)
    {
        int positions = oH * oW, depth = c / group * kH * kW;
        return (positions * depth + 3) / 4 * 4 + 4 * positions * (m / group);
    }

    /// <summary>
    /// Int32 sums of a convolution, y[n, m, oH, oW] = sum (x - xZero) * (w - wZero[ch]). x holds uint8 values (int8
    /// when xSigned) [n, c, h, w]; packedW holds, per group, the weights packed by <see cref="Int8Gemm.PackB(ReadOnlySpan{sbyte}, bool, int, int, Span{sbyte}, Span{int})"/>
    /// as B = W_g^T ([cg*kH*kW, mg]), at multiples of Int8Gemm.PackedLength; colSums [m]; wZeros 1 or m values.
    /// </summary>
    public static void ToInt32(ReadOnlySpan<byte> x, bool xSigned, int xZero, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums,
        ReadOnlySpan<int> wZeros, Span<int> y, Span<byte> scratch,
        int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int group)
    {
        var shape = new Geometry(n, c, h, w, m, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, group);
        shape.Check(x.Length, y.Length, scratch.Length, packedW.Length, colSums.Length);
        int positions = oH * oW;
        for (int img = 0; img < n; img++)
            for (int g = 0; g < group; g++)
            {
                var acc = shape.Product(x, xSigned, xZero, packedW, colSums, wZeros, scratch, img, g);
                var yg = y.Slice((img * m + g * shape.Mg) * positions, shape.Mg * positions);
                for (int p = 0; p < positions; p++)
                    for (int ch = 0; ch < shape.Mg; ch++) yg[ch * positions + p] = acc[p * shape.Mg + ch];
            }
    }

    /// <summary>
    /// QLinearConv's output: y = saturate(round((sum + bias[ch]) * multiplier[ch]) + yZero) as uint8 (or int8 when
    /// ySigned, in y's bytes), with sums as in <see cref="ToInt32"/>. bias may be empty; multiplier has 1 or m values.
    /// </summary>
    public static void ToQuantized(ReadOnlySpan<byte> x, bool xSigned, int xZero, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums,
        ReadOnlySpan<int> wZeros, ReadOnlySpan<int> bias, ReadOnlySpan<float> multiplier, int yZero, bool ySigned, Span<byte> y, Span<byte> scratch,
        int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int group)
    {
        var shape = new Geometry(n, c, h, w, m, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, group);
        shape.Check(x.Length, y.Length, scratch.Length, packedW.Length, colSums.Length);
        if ((!bias.IsEmpty && bias.Length < m) || (multiplier.Length != 1 && multiplier.Length < m)) ThrowHelper.Argument("bias or multiplier is shorter than m.");
        int positions = oH * oW, mg = shape.Mg;
        for (int img = 0; img < n; img++)
            for (int g = 0; g < group; g++)
            {
                var acc = shape.Product(x, xSigned, xZero, packedW, colSums, wZeros, scratch, img, g);
                var yg = y.Slice((img * m + g * mg) * positions, mg * positions);
                var bg = bias.IsEmpty ? bias : bias.Slice(g * mg, mg);
                var mult = multiplier.Length == 1 ? multiplier : multiplier.Slice(g * mg, mg);
                if (ySigned) Quantize.RequantizeToInt8(acc, mg, bg, mult, yZero, MemoryMarshal.Cast<byte, sbyte>(yg), positions, mg, false, true);
                else Quantize.RequantizeToUInt8(acc, mg, bg, mult, yZero, yg, positions, mg, false, true);
            }
    }

    /// <summary>
    /// Float output of an int8 layer: y = sum * multiplier[ch] * xScale + bias[ch], with sums as in <see cref="ToInt32"/>.
    /// </summary>
    public static void ToFloat(ReadOnlySpan<byte> x, bool xSigned, int xZero, float xScale, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums,
        ReadOnlySpan<float> multiplier, ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch,
        int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int group)
    {
        var shape = new Geometry(n, c, h, w, m, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, group);
        shape.Check(x.Length, y.Length, scratch.Length, packedW.Length, colSums.Length);
        int positions = oH * oW, mg = shape.Mg;
        ReadOnlySpan<int> noZeros = stackalloc int[1];
        for (int img = 0; img < n; img++)
            for (int g = 0; g < group; g++)
            {
                var acc = shape.Product(x, xSigned, xZero, packedW, colSums, noZeros, scratch, img, g);
                var yg = y.Slice((img * m + g * mg) * positions, mg * positions);
                var bg = bias.IsEmpty ? bias : bias.Slice(g * mg, mg);
                Quantize.ToFloat(acc, mg, multiplier.Slice(g * mg, mg), xScale, bg, yg, positions, mg, false, true);
            }
    }

    private readonly record struct Geometry(int N, int C, int H, int W, int M, int KH, int KW, int OH, int OW,
        int StrideH, int StrideW, int PadTop, int PadLeft, int DilationH, int DilationW, int Group)
    {
        public int Cg => C / Group;
        public int Mg => M / Group;
        public int Depth => Cg * KH * KW;
        public int Positions => OH * OW;
        private int ColBytes => (Positions * Depth + 3) / 4 * 4;

        public void Check(int xLength, int yLength, int scratchLength, int packedLength, int colSums)
        {
            if (Group <= 0 || C % Group != 0 || M % Group != 0) ThrowHelper.Argument("c and m must be multiples of group.");
            if (xLength < N * C * H * W || yLength < N * M * Positions || scratchLength < ScratchBytes(C, M, KH, KW, OH, OW, Group)
                || packedLength < Group * Int8Gemm.PackedLength(Depth, Mg) || colSums < M)
            {
                ThrowHelper.Argument("A span is shorter than its shape.");
            }
        }

        /// <summary>
        /// One row per output position holding its patch [cg, kH, kW]; taps outside the input hold pad (the zero point).
        /// Positions whose whole patch row is inside the input copy without per-tap checks.
        /// </summary>
        private unsafe void Im2Col(ReadOnlySpan<byte> xg, Span<byte> cols, byte pad)
        {
            int depth = Depth, taps = KH * KW, plane = H * W;
            fixed (byte* px = xg, pc = cols)
            {
                for (int oh = 0; oh < OH; oh++)
                    for (int ow = 0; ow < OW; ow++)
                    {
                        byte* row = pc + (nint)(oh * OW + ow) * depth;
                        int iw0 = ow * StrideW - PadLeft;
                        bool inside = iw0 >= 0 && iw0 + (KW - 1) * DilationW < W;
                        for (int ic = 0; ic < Cg; ic++)
                            for (int kh = 0; kh < KH; kh++)
                            {
                                int ih = oh * StrideH - PadTop + kh * DilationH;
                                byte* dst = row + ic * taps + kh * KW;
                                if ((uint)ih >= (uint)H)
                                {
                                    for (int kw = 0; kw < KW; kw++) dst[kw] = pad;
                                    continue;
                                }
                                byte* src = px + (nint)ic * plane + ih * W + iw0;
                                if (inside)
                                {
                                    for (int kw = 0; kw < KW; kw++) dst[kw] = src[kw * DilationW];
                                }
                                else
                                {
                                    for (int kw = 0; kw < KW; kw++)
                                    {
                                        int iw = iw0 + kw * DilationW;
                                        dst[kw] = (uint)iw < (uint)W ? src[kw * DilationW] : pad;
                                    }
                                }
                            }
                    }
            }
        }

        /// <summary>Fills the im2col rows of one image and group and multiplies them by the group's weights.</summary>
        public Span<int> Product(ReadOnlySpan<byte> x, bool xSigned, int xZero, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums,
            ReadOnlySpan<int> wZeros, Span<byte> scratch, int img, int g)
        {
            int depth = Depth, positions = Positions, taps = KH * KW, plane = H * W;
            var cols = scratch.Slice(0, positions * depth);
            var acc = MemoryMarshal.Cast<byte, int>(scratch.Slice(ColBytes, 4 * positions * Mg));
            Im2Col(x.Slice((img * C + g * Cg) * plane, Cg * plane), cols, (byte)xZero);
            int packed = Int8Gemm.PackedLength(depth, Mg);
            var zeros = wZeros.Length == 1 ? wZeros : wZeros.Slice(g * Mg, Mg);
            Int8Gemm.Multiply(cols, depth, xSigned, xZero, packedW.Slice(g * packed, packed), colSums.Slice(g * Mg, Mg), zeros,
                acc, Mg, positions, Mg, depth);
            return acc;
        }
    }
}
