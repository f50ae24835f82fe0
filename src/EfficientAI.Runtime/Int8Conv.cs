// Int8 convolution as one integer GEMM per (image, group): the input patch of every output position is copied
// into a scratch row (im2col, out-of-range taps hold the input's zero point, i.e. a real zero), and the rows
// times the packed weights (B = W^T, [cg*kH*kW, mg], packed at compile time) give int32 sums [oH*oW, mg] that
// the caller's epilogue writes out channel-major. With AVX-VNNI, float layers instead multiply weights by patches
// packed [depth/4][positions][4] and write channel-major output straight from the registers.
#pragma warning disable CA2252 // AvxVnni is preview API in .NET 8 (see Int8Gemm)
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

/// <summary>Convolution on 8-bit inputs and int8 weights with int32 accumulation.</summary>
public static class Int8Conv
{
    /// <summary>Scratch bytes one call needs: the im2col rows (rounded to 4 bytes) and the int32 sums of one group.</summary>
    public static int ScratchBytes(int c, int m, int kH, int kW, int oH, int oW, int group)
    {
        int positions = oH * oW, depth = c / group * kH * kW;
        int rows = (positions * depth + 3) / 4 * 4 + 4 * positions * (m / group);
        // The channel-major path of ToFloat packs patches as [depth/4][positions rounded to 16][4] instead.
        int packedPatches = (depth + 3) / 4 * 4 * ((positions + 15) / 16 * 16);
        return Math.Max(rows, packedPatches);
    }

    /// <summary>
    /// Int32 sums of a convolution, y[n, m, oH, oW] = sum (x - xZero) * (w - wZero[ch]). x holds uint8 values (int8
    /// when xSigned) [n, c, h, w]; packedW holds, per group, the weights packed by <see cref="Int8Gemm.PackB(ReadOnlySpan{sbyte}, bool, int, int, Span{sbyte}, Span{int})"/>
    /// as B = W_g^T ([cg*kH*kW, mg]), at multiples of Int8Gemm.PackedLength; colSums [m]; wZeros 1 or m values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    /// Float output of an int8 layer: y = (sum + intBias[ch]) * multiplier[ch] * xScale + bias[ch], with sums as in
    /// <see cref="ToInt32"/>. intBias (empty: none) is a bias quantized with scale xScale * multiplier[ch], added to the
    /// int32 sums; bias (empty: none) is added in float; activation is applied last (in registers where it can be).
    /// </summary>
    public static void ToFloat(ReadOnlySpan<byte> x, bool xSigned, int xZero, float xScale, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums,
        ReadOnlySpan<float> multiplier, ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch,
        int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int group, ReadOnlySpan<int> intBias = default,
        Activation activation = default)
    {
        if (!intBias.IsEmpty && intBias.Length < m) ThrowHelper.Argument("intBias is shorter than m.");
        var shape = new Geometry(n, c, h, w, m, kH, kW, oH, oW, strideH, strideW, padTop, padLeft, dilationH, dilationW, group);
        shape.Check(x.Length, y.Length, scratch.Length, packedW.Length, colSums.Length);
        int positions = oH * oW, mg = shape.Mg;
        if ((!bias.IsEmpty && bias.Length < m) || multiplier.Length < m) ThrowHelper.Argument("bias or multiplier is shorter than m.");
        if (AvxVnni.IsSupported && !xSigned && !ForceRowMajor)
        {
            for (int img = 0; img < n; img++)
                for (int g = 0; g < group; g++) shape.ChannelMajorVnni(x, xZero, xScale, packedW, colSums, multiplier, bias, y, scratch, img, g, intBias, activation);
            if (!activation.InRegisters) activation.Apply(y.Slice(0, n * m * positions));
            return;
        }
        ReadOnlySpan<int> noZeros = stackalloc int[1];
        for (int img = 0; img < n; img++)
            for (int g = 0; g < group; g++)
            {
                var acc = shape.Product(x, xSigned, xZero, packedW, colSums, noZeros, scratch, img, g);
                if (!intBias.IsEmpty)
                    for (int p = 0; p < positions; p++)
                        for (int ch = 0; ch < mg; ch++) acc[p * mg + ch] += intBias[g * mg + ch];
                var yg = y.Slice((img * m + g * mg) * positions, mg * positions);
                var bg = bias.IsEmpty ? bias : bias.Slice(g * mg, mg);
                Quantize.ToFloat(acc, mg, multiplier.Slice(g * mg, mg), xScale, bg, yg, positions, mg, false, true);
            }
        activation.Apply(y.Slice(0, n * m * positions));
    }

    /// <summary>Tests set it to run the position-major path on machines that have the channel-major one.</summary>
    internal static bool ForceRowMajor;

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
        /// Output channels times positions, so y is written channel-major straight from the accumulators. Positions go
        /// in blocks of 16 whose patches are packed [depth/4][16][4] (uint8, the VNNI operand that is loaded), a chunk of
        /// blocks at a time (about 96 KB, so it stays in L2 while every channel reads it; each channel's outputs of a chunk
        /// are one contiguous run). Six channels by 16 positions per step: twelve accumulators, enough to cover
        /// vpdpbusd's latency with two issued a cycle; the weights (B = W^T, [depth/4][channels][4]) are broadcast by quad.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public unsafe void ChannelMajorVnni(ReadOnlySpan<byte> x, int xZero, float xScale, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums,
            ReadOnlySpan<float> multiplier, ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch, int img, int g, ReadOnlySpan<int> intBias, Activation activation)
        {
            Activation regs = activation.InRegisters ? activation : Activation.None;
            int depth = Depth, positions = Positions, mg = Mg, plane = H * W;
            int k4 = (depth + 3) / 4, chPad = (mg + 15) / 16 * 16;
            int packedLength = Int8Gemm.PackedLength(depth, mg);
            var yg = y.Slice((img * M + g * mg) * positions, mg * positions);
            float* block = stackalloc float[16];
            fixed (byte* px = x.Slice((img * C + g * Cg) * plane, Cg * plane), pp = scratch)
            fixed (sbyte* pw = packedW.Slice(g * packedLength, packedLength))
            fixed (int* ps = colSums.Slice(g * mg, mg))
            fixed (int* pib = intBias.IsEmpty ? intBias : intBias.Slice(g * mg, mg))
            fixed (float* pm = multiplier.Slice(g * mg, mg), pb = bias.IsEmpty ? bias : bias.Slice(g * mg, mg), py = yg)
            {
                int blockBytes = k4 * 64;
                int chunk = Math.Clamp(96 * 1024 / blockBytes, 1, 64) * 16;
                for (int c0 = 0; c0 < positions; c0 += chunk)
                {
                    int chunkEnd = Math.Min(positions, c0 + chunk);
                    for (int p0 = c0; p0 < chunkEnd; p0 += 16) PackBlock(px, pp + (nint)(p0 - c0) / 16 * blockBytes, (byte)xZero, p0, Math.Min(16, positions - p0));
                    for (int oc = 0; oc < mg; oc += 6)
                    {
                        for (int p0 = c0; p0 < chunkEnd; p0 += 16)
                        {
                            int count = Math.Min(16, positions - p0);
                            int rows = Math.Min(6, mg - oc);
                            // Channels past mg repeat the last one; their sums are not stored.
                            int o1 = oc + Math.Min(1, rows - 1), o2 = oc + Math.Min(2, rows - 1), o3 = oc + Math.Min(3, rows - 1);
                            int o4 = oc + Math.Min(4, rows - 1), o5 = oc + Math.Min(5, rows - 1);
                            Vector256<int> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
                            Vector256<int> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
                            byte* xp = pp + (nint)(p0 - c0) / 16 * blockBytes;
                            int* wq = (int*)pw;
                            for (int q = 0; q < k4; q++, xp += 64, wq += chPad)
                            {
                                var x0 = Vector256.Load(xp);
                                var x1 = Vector256.Load(xp + 32);
                                var w0 = Vector256.Create(wq[oc]).AsSByte();
                                a00 = AvxVnni.MultiplyWideningAndAdd(a00, x0, w0);
                                a01 = AvxVnni.MultiplyWideningAndAdd(a01, x1, w0);
                                var w1 = Vector256.Create(wq[o1]).AsSByte();
                                a10 = AvxVnni.MultiplyWideningAndAdd(a10, x0, w1);
                                a11 = AvxVnni.MultiplyWideningAndAdd(a11, x1, w1);
                                var w2 = Vector256.Create(wq[o2]).AsSByte();
                                a20 = AvxVnni.MultiplyWideningAndAdd(a20, x0, w2);
                                a21 = AvxVnni.MultiplyWideningAndAdd(a21, x1, w2);
                                var w3 = Vector256.Create(wq[o3]).AsSByte();
                                a30 = AvxVnni.MultiplyWideningAndAdd(a30, x0, w3);
                                a31 = AvxVnni.MultiplyWideningAndAdd(a31, x1, w3);
                                var w4 = Vector256.Create(wq[o4]).AsSByte();
                                a40 = AvxVnni.MultiplyWideningAndAdd(a40, x0, w4);
                                a41 = AvxVnni.MultiplyWideningAndAdd(a41, x1, w4);
                                var w5 = Vector256.Create(wq[o5]).AsSByte();
                                a50 = AvxVnni.MultiplyWideningAndAdd(a50, x0, w5);
                                a51 = AvxVnni.MultiplyWideningAndAdd(a51, x1, w5);
                            }
                            for (int r = 0; r < rows; r++)
                            {
                                int ch = oc + r;
                                var (lo, hi) = r switch { 0 => (a00, a01), 1 => (a10, a11), 2 => (a20, a21), 3 => (a30, a31), 4 => (a40, a41), _ => (a50, a51) };
                                // An int32 bias joins the zero-point term: (sum - (xZero * colSum - intBias)) = sum - xZero * colSum + intBias.
                                StoreChannel(lo, hi, xZero * ps[ch] - (pib == null ? 0 : pib[ch]), pm[ch] * xScale, pb == null ? 0f : pb[ch], py + (nint)ch * positions + p0, count, block, regs);
                            }
                        }
                    }
                }
            }
        }

        /// <summary>
        /// The same arithmetic as Quantize.ToFloat: (sum - zeroTerm) * factor + bias, for 16 positions (count valid),
        /// then an in-register activation (None, Relu, LeakyRelu or Clip).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void StoreChannel(Vector256<int> lo, Vector256<int> hi, int zeroTerm, float factor, float bias, float* dst, int count, float* block, Activation act)
        {
            var zero = Vector256.Create(zeroTerm);
            var f = Vector256.Create(factor);
            var b = Vector256.Create(bias);
            var v0 = Activate(Vector256.ConvertToSingle(lo - zero) * f + b, act);
            var v1 = Activate(Vector256.ConvertToSingle(hi - zero) * f + b, act);
            if (count == 16)
            {
                v0.Store(dst);
                v1.Store(dst + 8);
                return;
            }
            v0.Store(block);
            v1.Store(block + 8);
            for (int t = 0; t < count; t++) dst[t] = block[t];
        }

        /// <summary>As the float kernels' epilogue: maxps/minps return their second operand on NaN, so NaN passes through.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Activate(Vector256<float> v, Activation act) => act.Kind switch
        {
            ActivationKind.None => v,
            ActivationKind.Relu => Avx.Max(Vector256<float>.Zero, v),
            ActivationKind.LeakyRelu => Avx.Max(Vector256<float>.Zero, v) + Vector256.Create(act.Alpha) * Avx.Min(Vector256<float>.Zero, v),
            _ => Avx.Min(Vector256.Create(act.Beta), Avx.Max(Vector256.Create(act.Alpha), v)),
        };

        /// <summary>
        /// The patches of positions p0..p0+count-1 as [depth/4][16][4] bytes: for each depth value (channel, tap) the 16
        /// positions' bytes, four depth values interleaved. Taps outside the input hold pad; positions past count and
        /// depth past the last quad hold pad too (their sums are dropped, or meet zero weights).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private unsafe void PackBlock(byte* xg, byte* packed, byte pad, int p0, int count)
        {
            int depth = Depth, plane = H * W, k4 = (depth + 3) / 4;
            int oh0 = p0 / OW, ow0 = p0 % OW;
            // A full block on one output row reads 16 consecutive input bytes per depth value (stride 1), or every
            // other byte of 32 (stride 2).
            bool oneRow = count == 16 && ow0 + 16 <= OW && StrideW <= 2;
            // With unit strides and the output as wide as the input, positions are consecutive input bytes across row
            // ends too (a 1x1 Conv's whole plane): a depth value whose column offset is 0 and whose rows are all inside
            // reads 16 consecutive bytes from any block.
            bool flat = count == 16 && StrideW == 1 && StrideH == 1 && OW == W;
            int ohLast = (p0 + 15) / OW;
            var evenBytes = Vector128.Create((ushort)0xFF).AsInt16();
            byte* lane = stackalloc byte[64];
            int ic = 0, kh = 0, kw = 0;
            for (int q = 0; q < k4; q++)
            {
                for (int j = 0; j < 4; j++)
                {
                    byte* dst = lane + j * 16;
                    if (4 * q + j >= depth)
                    {
                        Vector128.Create(pad).Store(dst);
                        continue;
                    }
                    byte* src = xg + (nint)ic * plane;
                    int rowOffset = kh * DilationH - PadTop, colOffset = kw * DilationW - PadLeft;
                    int ih = oh0 * StrideH + rowOffset, iw = ow0 * StrideW + colOffset;
                    if (oneRow && (uint)ih < (uint)H && iw >= 0 && iw + 16 * StrideW <= W)
                    {
                        byte* row = src + (nint)ih * W + iw;
                        if (StrideW == 1)
                        {
                            Vector128.Load(row).Store(dst);
                        }
                        else
                        {
                            var even0 = Vector128.Load(row).AsInt16() & evenBytes;
                            var even1 = Vector128.Load(row + 16).AsInt16() & evenBytes;
                            Sse2.PackUnsignedSaturate(even0, even1).Store(dst);
                        }
                    }
                    else if (flat && colOffset == 0 && oh0 + rowOffset >= 0 && ohLast + rowOffset < H)
                    {
                        Vector128.Load(src + (nint)(oh0 + rowOffset) * W + ow0).Store(dst);
                    }
                    else
                    {
                        int oh = oh0, ow = ow0;
                        for (int t = 0; t < 16; t++)
                        {
                            byte v = pad;
                            if (t < count)
                            {
                                int r = oh * StrideH + rowOffset, c = ow * StrideW + colOffset;
                                if ((uint)r < (uint)H && (uint)c < (uint)W) v = src[(nint)r * W + c];
                                if (++ow == OW) { ow = 0; oh++; }
                            }
                            dst[t] = v;
                        }
                    }
                    if (++kw == KW) { kw = 0; if (++kh == KH) { kh = 0; ic++; } }
                }
                // Interleave the four depth values' 16 positions into [16][4].
                var d0 = Vector128.Load(lane);
                var d1 = Vector128.Load(lane + 16);
                var d2 = Vector128.Load(lane + 32);
                var d3 = Vector128.Load(lane + 48);
                var lo01 = Sse2.UnpackLow(d0, d1).AsUInt16();
                var hi01 = Sse2.UnpackHigh(d0, d1).AsUInt16();
                var lo23 = Sse2.UnpackLow(d2, d3).AsUInt16();
                var hi23 = Sse2.UnpackHigh(d2, d3).AsUInt16();
                byte* o = packed + (nint)q * 64;
                Sse2.UnpackLow(lo01, lo23).AsByte().Store(o);
                Sse2.UnpackHigh(lo01, lo23).AsByte().Store(o + 16);
                Sse2.UnpackLow(hi01, hi23).AsByte().Store(o + 32);
                Sse2.UnpackHigh(hi01, hi23).AsByte().Store(o + 48);
            }
        }

        /// <summary>
        /// One row per output position holding its patch [cg, kH, kW]; taps outside the input hold pad (the zero point).
        /// Positions whose whole patch row is inside the input copy without per-tap checks.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
