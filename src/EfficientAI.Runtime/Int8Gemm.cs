// Integer matrix products with int32 accumulation: uint8 (or int8) activations times int8 weights.
// B is packed once (weights at compile time) into groups of four depth values per column, the layout VNNI's
// vpdpbusd and Arm's sdot consume directly: packed[((p/4) * nPad + j) * 4 + p%4], nPad = n rounded up to 16,
// depth and columns padded with zeros. Zero points are applied outside the inner loop through row and column
// sums, so every path computes the same exact integers:
//   sum_p (a[i,p] - za) * (b[p,j] - zb[j]) = raw[i,j] - za * colSum[j] - zb[j] * rowSum[i] + k * za * zb[j].
// Paths: AVX-VNNI (vpdpbusd, 256-bit), AVX-512BW and AVX2 (both widen to int16 and use vpmaddwd: vpmaddubsw's
// u8*s8 pair sums saturate at int16, e.g. 255*-128*2), Arm AdvSimd dot product (sdot, s8*s8: the u8 operand is
// offset by -128 and corrected with 128 * colSum), Arm AdvSimd without it (smull to int16, sadalp into int32, the same
// offset) and scalar. .NET 8 exposes no 512-bit VNNI (Avx512Vnni came later),
// and AvxVnni is marked preview there (CA2252); the instructions are stable, the API shape is what is in preview.
#pragma warning disable CA2252
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

/// <summary>Int8 matrix products with int32 accumulation over a pre-packed int8 B.</summary>
public static class Int8Gemm
{
    /// <summary>
    /// The instruction sets a product can run on; tests force each one the machine has. ArmSimd is AdvSimd without the
    /// dot product (ARMv8.0 cores, and any NativeAOT binary compiled for ARMv8.0).
    /// </summary>
    internal enum Path { Scalar, Avx2, Avx512, AvxVnni, ArmDot, ArmSimd }

    /// <summary>Columns per packed block: one 512-bit vector of int32, two 256-bit ones.</summary>
    public const int ColumnBlock = 16;

    /// <summary>The largest depth whose uint8 x int8 sums cannot overflow int32 (255 * 128 * k &lt; 2^31).</summary>
    public const int MaxDepth = 65536;

    internal static Path Best =>
        AvxVnni.IsSupported ? Path.AvxVnni :
        Avx512BW.IsSupported ? Path.Avx512 :
        Avx2.IsSupported ? Path.Avx2 :
        Dp.IsSupported ? Path.ArmDot :
        AdvSimd.Arm64.IsSupported ? Path.ArmSimd : Path.Scalar;

    internal static bool IsSupported(Path path) => path switch
    {
        Path.Scalar => true,
        Path.Avx2 => Avx2.IsSupported,
        Path.Avx512 => Avx512BW.IsSupported,
        Path.AvxVnni => AvxVnni.IsSupported,
        Path.ArmDot => Dp.IsSupported,
        Path.ArmSimd => AdvSimd.Arm64.IsSupported,
        _ => false,
    };

    /// <summary>Bytes of a packed B of depth k and n columns.</summary>
    public static int PackedLength(int k, int n) => RoundUp(k, 4) * RoundUp(n, ColumnBlock);

    private static int RoundUp(int v, int to) => (v + to - 1) / to * to;

    /// <summary>
    /// Packs b (int8, [k, n] row-major, or [n, k] when transposed) and writes each column's sum to colSums (n values).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(ReadOnlySpan<sbyte> b, bool transposed, int k, int n, Span<sbyte> packed, Span<int> colSums)
    {
        if (b.Length < k * n || packed.Length < PackedLength(k, n) || colSums.Length < n) ThrowHelper.Argument("A span is shorter than its shape.");
        int nPad = RoundUp(n, ColumnBlock);
        packed.Slice(0, PackedLength(k, n)).Clear();
        colSums.Slice(0, n).Clear();
        for (int p = 0; p < k; p++)
        {
            int rowBase = (p >> 2) * nPad * 4 + (p & 3);
            for (int j = 0; j < n; j++)
            {
                sbyte v = transposed ? b[j * k + p] : b[p * n + j];
                packed[rowBase + j * 4] = v;
                colSums[j] += v;
            }
        }
    }

    /// <summary>
    /// Packs uint8 b as int8 (b - 128); the caller subtracts 128 from b's zero point(s) to match.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(ReadOnlySpan<byte> b, bool transposed, int k, int n, Span<sbyte> packed, Span<int> colSums)
    {
        if (b.Length < k * n || packed.Length < PackedLength(k, n) || colSums.Length < n) ThrowHelper.Argument("A span is shorter than its shape.");
        int nPad = RoundUp(n, ColumnBlock);
        packed.Slice(0, PackedLength(k, n)).Clear();
        colSums.Slice(0, n).Clear();
        for (int p = 0; p < k; p++)
        {
            int rowBase = (p >> 2) * nPad * 4 + (p & 3);
            for (int j = 0; j < n; j++)
            {
                sbyte v = (sbyte)((transposed ? b[j * k + p] : b[p * n + j]) - 128);
                packed[rowBase + j * 4] = v;
                colSums[j] += v;
            }
        }
    }

    /// <summary>
    /// c[i*ldc + j] = sum_p (a[i*lda + p] - aZero) * (B[p, j] - bZeros[j or 0]) for i &lt; m, j &lt; n, where B is
    /// packed by <see cref="PackB(ReadOnlySpan{sbyte}, bool, int, int, Span{sbyte}, Span{int})"/>. a holds uint8
    /// values, or int8 ones when aSigned. bZeros has one value (per tensor) or n (per column).
    /// </summary>
    public static void Multiply(ReadOnlySpan<byte> a, int lda, bool aSigned, int aZero, ReadOnlySpan<sbyte> packedB,
        ReadOnlySpan<int> colSums, ReadOnlySpan<int> bZeros, Span<int> c, int ldc, int m, int n, int k) =>
        Multiply(a, lda, aSigned, aZero, packedB, colSums, bZeros, c, ldc, m, n, k, Best);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Multiply(ReadOnlySpan<byte> a, int lda, bool aSigned, int aZero, ReadOnlySpan<sbyte> packedB,
        ReadOnlySpan<int> colSums, ReadOnlySpan<int> bZeros, Span<int> c, int ldc, int m, int n, int k, Path path)
    {
        if (m <= 0 || n <= 0) return;
        if (k > MaxDepth) ThrowHelper.Argument("The depth is larger than Int8Gemm.MaxDepth.");
        if ((k > 0 && a.Length < (m - 1) * lda + k) || packedB.Length < PackedLength(k, n) || colSums.Length < n
            || c.Length < (m - 1) * ldc + n || (bZeros.Length != 1 && bZeros.Length < n))
        {
            ThrowHelper.Argument("A span is shorter than its shape.");
        }
        if (!IsSupported(path)) ThrowHelper.Argument("The instruction set is not available on this machine.");
        fixed (byte* pa = a)
        fixed (sbyte* pb = packedB)
        fixed (int* pc = c, ps = colSums)
        {
            switch (path)
            {
                case Path.AvxVnni: RawVnni(pa, lda, aSigned, pb, pc, ldc, m, n, k); break;
                case Path.Avx512: RawAvx512(pa, lda, aSigned, pb, pc, ldc, m, n, k); break;
                case Path.Avx2: RawAvx2(pa, lda, aSigned, pb, pc, ldc, m, n, k); break;
                case Path.ArmDot: RawArmDot(pa, lda, aSigned, pb, ps, pc, ldc, m, n, k); break;
                case Path.ArmSimd: RawArmSimd(pa, lda, aSigned, pb, ps, pc, ldc, m, n, k); break;
                default: RawScalar(pa, lda, aSigned, pb, pc, ldc, m, n, k); break;
            }
        }

        // Zero points: the raw sums used a as uint8 (int8 values offset by +128).
        int za = aSigned ? aZero + 128 : aZero;
        bool perColumn = bZeros.Length != 1;
        bool anyBZero = false;
        for (int j = 0; j < (perColumn ? n : 1); j++) anyBZero |= bZeros[j] != 0;
        for (int i = 0; i < m; i++)
        {
            int rowSum = 0;
            if (anyBZero)
            {
                var row = a.Slice(i * lda, k);
                if (aSigned) for (int p = 0; p < k; p++) rowSum += (sbyte)row[p] + 128;
                else for (int p = 0; p < k; p++) rowSum += row[p];
            }
            var ci = c.Slice(i * ldc, n);
            for (int j = 0; j < n; j++)
            {
                int zb = bZeros[perColumn ? j : 0];
                ci[j] = ci[j] - za * colSums[j] - zb * rowSum + k * za * zb;
            }
        }
    }

    /// <summary>Four consecutive bytes of a row as uint8 values (int8 offset by +128), zero past the row's end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe uint Quad(byte* row, int p, int k, uint flip)
    {
        if (p + 4 <= k) return Unsafe.ReadUnaligned<uint>(row + p) ^ flip;
        uint v = 0;
        for (int t = 0; p + t < k; t++) v |= (uint)(row[p + t] ^ (byte)flip) << (8 * t);
        return v;
    }

    /// <summary>Stores one block's row, clipped to the valid columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow(int* c, int* block, int count)
    {
        for (int j = 0; j < count; j++) c[j] = block[j];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RawScalar(byte* a, int lda, bool aSigned, sbyte* b, int* c, int ldc, int m, int n, int k)
    {
        int nPad = RoundUp(n, ColumnBlock);
        uint flip = aSigned ? 0x80808080u : 0u;
        for (int i = 0; i < m; i++)
        {
            byte* row = a + (nint)i * lda;
            for (int j = 0; j < n; j++)
            {
                int sum = 0;
                for (int p = 0; p < k; p += 4)
                {
                    uint q = Quad(row, p, k, flip);
                    sbyte* bq = b + ((nint)(p >> 2) * nPad + j) * 4;
                    sum += (int)(q & 0xFF) * bq[0] + (int)((q >> 8) & 0xFF) * bq[1] + (int)((q >> 16) & 0xFF) * bq[2] + (int)(q >> 24) * bq[3];
                }
                c[(nint)i * ldc + j] = sum;
            }
        }
    }

    // Four rows by 16 columns per step: eight 256-bit accumulators. Rows past m repeat the last row; their sums are dropped.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RawVnni(byte* a, int lda, bool aSigned, sbyte* b, int* c, int ldc, int m, int n, int k)
    {
        int nPad = RoundUp(n, ColumnBlock);
        uint flip = aSigned ? 0x80808080u : 0u;
        int* block = stackalloc int[4 * ColumnBlock];
        for (int i = 0; i < m; i += 4)
        {
            int rows = Math.Min(4, m - i);
            byte* r0 = a + (nint)i * lda;
            if (rows == 1)
            {
                // A lone row (a batch-1 fully connected layer): one row's work, not four. Four column blocks at a time
                // keep eight independent sums in flight (vpdpbusd's latency), then single blocks.
                int j = 0;
                for (; j + 4 * ColumnBlock <= n; j += 4 * ColumnBlock)
                {
                    Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
                    sbyte* bq = b + (nint)j * 4;
                    for (int p = 0; p < k; p += 4, bq += nPad * 4)
                    {
                        var aq = Vector256.Create(Quad(r0, p, k, flip)).AsByte();
                        s0 = AvxVnni.MultiplyWideningAndAdd(s0, aq, Vector256.Load(bq));
                        s1 = AvxVnni.MultiplyWideningAndAdd(s1, aq, Vector256.Load(bq + 32));
                        s2 = AvxVnni.MultiplyWideningAndAdd(s2, aq, Vector256.Load(bq + 64));
                        s3 = AvxVnni.MultiplyWideningAndAdd(s3, aq, Vector256.Load(bq + 96));
                        s4 = AvxVnni.MultiplyWideningAndAdd(s4, aq, Vector256.Load(bq + 128));
                        s5 = AvxVnni.MultiplyWideningAndAdd(s5, aq, Vector256.Load(bq + 160));
                        s6 = AvxVnni.MultiplyWideningAndAdd(s6, aq, Vector256.Load(bq + 192));
                        s7 = AvxVnni.MultiplyWideningAndAdd(s7, aq, Vector256.Load(bq + 224));
                    }
                    int* cj = c + (nint)i * ldc + j;
                    s0.Store(cj); s1.Store(cj + 8); s2.Store(cj + 16); s3.Store(cj + 24);
                    s4.Store(cj + 32); s5.Store(cj + 40); s6.Store(cj + 48); s7.Store(cj + 56);
                }
                for (; j < n; j += ColumnBlock)
                {
                    Vector256<int> s0 = default, s1 = default;
                    sbyte* bq = b + (nint)j * 4;
                    for (int p = 0; p < k; p += 4, bq += nPad * 4)
                    {
                        var aq = Vector256.Create(Quad(r0, p, k, flip)).AsByte();
                        s0 = AvxVnni.MultiplyWideningAndAdd(s0, aq, Vector256.Load(bq));
                        s1 = AvxVnni.MultiplyWideningAndAdd(s1, aq, Vector256.Load(bq + 32));
                    }
                    s0.Store(block); s1.Store(block + 8);
                    StoreRow(c + (nint)i * ldc + j, block, Math.Min(ColumnBlock, n - j));
                }
                continue;
            }
            byte* r1 = rows > 1 ? r0 + lda : r0;
            byte* r2 = rows > 2 ? r1 + lda : r1;
            byte* r3 = rows > 3 ? r2 + lda : r2;
            for (int j = 0; j < n; j += ColumnBlock)
            {
                Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default;
                Vector256<int> c20 = default, c21 = default, c30 = default, c31 = default;
                sbyte* bp = b + (nint)j * 4;
                for (int p = 0; p < k; p += 4, bp += nPad * 4)
                {
                    var b0 = Vector256.Load(bp);
                    var b1 = Vector256.Load(bp + 32);
                    var a0 = Vector256.Create(Quad(r0, p, k, flip)).AsByte();
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, a0, b0);
                    c01 = AvxVnni.MultiplyWideningAndAdd(c01, a0, b1);
                    var a1 = Vector256.Create(Quad(r1, p, k, flip)).AsByte();
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, a1, b0);
                    c11 = AvxVnni.MultiplyWideningAndAdd(c11, a1, b1);
                    var a2 = Vector256.Create(Quad(r2, p, k, flip)).AsByte();
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, a2, b0);
                    c21 = AvxVnni.MultiplyWideningAndAdd(c21, a2, b1);
                    var a3 = Vector256.Create(Quad(r3, p, k, flip)).AsByte();
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, a3, b0);
                    c31 = AvxVnni.MultiplyWideningAndAdd(c31, a3, b1);
                }
                c00.Store(block); c01.Store(block + 8);
                c10.Store(block + 16); c11.Store(block + 24);
                c20.Store(block + 32); c21.Store(block + 40);
                c30.Store(block + 48); c31.Store(block + 56);
                int cols = Math.Min(ColumnBlock, n - j);
                for (int r = 0; r < rows; r++) StoreRow(c + (nint)(i + r) * ldc + j, block + r * ColumnBlock, cols);
            }
        }
    }

    /// <summary>Four uint8 values widened to four int16 lanes of one 64-bit word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Widen(uint q) => Bmi2.X64.IsSupported
        ? Bmi2.X64.ParallelBitDeposit(q, 0x00FF00FF00FF00FFul)
        : (q & 0xFFul) | ((q & 0xFF00ul) << 8) | ((q & 0xFF0000ul) << 16) | ((q & 0xFF000000ul) << 24);

    // int16 products summed in pairs by vpmaddwd: each column keeps two partial sums (depth p..p+1 and p+2..p+3)
    // side by side, added at the end. Four rows by 16 columns: eight 512-bit accumulators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RawAvx512(byte* a, int lda, bool aSigned, sbyte* b, int* c, int ldc, int m, int n, int k)
    {
        int nPad = RoundUp(n, ColumnBlock);
        uint flip = aSigned ? 0x80808080u : 0u;
        int* block = stackalloc int[4 * 2 * ColumnBlock];
        for (int i = 0; i < m; i += 4)
        {
            int rows = Math.Min(4, m - i);
            byte* r0 = a + (nint)i * lda;
            if (rows == 1)
            {
                for (int j = 0; j < n; j += ColumnBlock)
                {
                    Vector512<int> s0 = default, s1 = default;
                    sbyte* bq = b + (nint)j * 4;
                    for (int p = 0; p < k; p += 4, bq += nPad * 4)
                    {
                        var aq = Vector512.Create(Widen(Quad(r0, p, k, flip))).AsInt16();
                        s0 = Avx512F.Add(s0, Avx512BW.MultiplyAddAdjacent(aq, Avx512BW.ConvertToVector512Int16(Vector256.Load(bq))));
                        s1 = Avx512F.Add(s1, Avx512BW.MultiplyAddAdjacent(aq, Avx512BW.ConvertToVector512Int16(Vector256.Load(bq + 32))));
                    }
                    s0.Store(block); s1.Store(block + 16);
                    StorePairs(c + (nint)i * ldc + j, block, Math.Min(ColumnBlock, n - j));
                }
                continue;
            }
            byte* r1 = rows > 1 ? r0 + lda : r0;
            byte* r2 = rows > 2 ? r1 + lda : r1;
            byte* r3 = rows > 3 ? r2 + lda : r2;
            for (int j = 0; j < n; j += ColumnBlock)
            {
                Vector512<int> c00 = default, c01 = default, c10 = default, c11 = default;
                Vector512<int> c20 = default, c21 = default, c30 = default, c31 = default;
                sbyte* bp = b + (nint)j * 4;
                for (int p = 0; p < k; p += 4, bp += nPad * 4)
                {
                    var b0 = Avx512BW.ConvertToVector512Int16(Vector256.Load(bp));
                    var b1 = Avx512BW.ConvertToVector512Int16(Vector256.Load(bp + 32));
                    var a0 = Vector512.Create(Widen(Quad(r0, p, k, flip))).AsInt16();
                    c00 = Avx512F.Add(c00, Avx512BW.MultiplyAddAdjacent(a0, b0));
                    c01 = Avx512F.Add(c01, Avx512BW.MultiplyAddAdjacent(a0, b1));
                    var a1 = Vector512.Create(Widen(Quad(r1, p, k, flip))).AsInt16();
                    c10 = Avx512F.Add(c10, Avx512BW.MultiplyAddAdjacent(a1, b0));
                    c11 = Avx512F.Add(c11, Avx512BW.MultiplyAddAdjacent(a1, b1));
                    var a2 = Vector512.Create(Widen(Quad(r2, p, k, flip))).AsInt16();
                    c20 = Avx512F.Add(c20, Avx512BW.MultiplyAddAdjacent(a2, b0));
                    c21 = Avx512F.Add(c21, Avx512BW.MultiplyAddAdjacent(a2, b1));
                    var a3 = Vector512.Create(Widen(Quad(r3, p, k, flip))).AsInt16();
                    c30 = Avx512F.Add(c30, Avx512BW.MultiplyAddAdjacent(a3, b0));
                    c31 = Avx512F.Add(c31, Avx512BW.MultiplyAddAdjacent(a3, b1));
                }
                c00.Store(block); c01.Store(block + 16);
                c10.Store(block + 32); c11.Store(block + 48);
                c20.Store(block + 64); c21.Store(block + 80);
                c30.Store(block + 96); c31.Store(block + 112);
                int cols = Math.Min(ColumnBlock, n - j);
                for (int r = 0; r < rows; r++) StorePairs(c + (nint)(i + r) * ldc + j, block + r * 2 * ColumnBlock, cols);
            }
        }
    }

    /// <summary>Adds each column's two partial sums and stores the valid columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePairs(int* c, int* pairs, int count)
    {
        for (int j = 0; j < count; j++) c[j] = pairs[2 * j] + pairs[2 * j + 1];
    }

    // As the AVX-512 path on 256-bit vectors: two rows by 16 columns, eight accumulators of four columns each.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RawAvx2(byte* a, int lda, bool aSigned, sbyte* b, int* c, int ldc, int m, int n, int k)
    {
        int nPad = RoundUp(n, ColumnBlock);
        uint flip = aSigned ? 0x80808080u : 0u;
        int* block = stackalloc int[2 * 2 * ColumnBlock];
        for (int i = 0; i < m; i += 2)
        {
            int rows = Math.Min(2, m - i);
            byte* r0 = a + (nint)i * lda;
            byte* r1 = rows > 1 ? r0 + lda : r0;
            for (int j = 0; j < n; j += ColumnBlock)
            {
                Vector256<int> c00 = default, c01 = default, c02 = default, c03 = default;
                Vector256<int> c10 = default, c11 = default, c12 = default, c13 = default;
                sbyte* bp = b + (nint)j * 4;
                for (int p = 0; p < k; p += 4, bp += nPad * 4)
                {
                    var b0 = Avx2.ConvertToVector256Int16(Vector128.Load(bp));
                    var b1 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 16));
                    var b2 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 32));
                    var b3 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 48));
                    var a0 = Vector256.Create(Widen(Quad(r0, p, k, flip))).AsInt16();
                    c00 = Avx2.Add(c00, Avx2.MultiplyAddAdjacent(a0, b0));
                    c01 = Avx2.Add(c01, Avx2.MultiplyAddAdjacent(a0, b1));
                    c02 = Avx2.Add(c02, Avx2.MultiplyAddAdjacent(a0, b2));
                    c03 = Avx2.Add(c03, Avx2.MultiplyAddAdjacent(a0, b3));
                    var a1 = Vector256.Create(Widen(Quad(r1, p, k, flip))).AsInt16();
                    c10 = Avx2.Add(c10, Avx2.MultiplyAddAdjacent(a1, b0));
                    c11 = Avx2.Add(c11, Avx2.MultiplyAddAdjacent(a1, b1));
                    c12 = Avx2.Add(c12, Avx2.MultiplyAddAdjacent(a1, b2));
                    c13 = Avx2.Add(c13, Avx2.MultiplyAddAdjacent(a1, b3));
                }
                c00.Store(block); c01.Store(block + 8); c02.Store(block + 16); c03.Store(block + 24);
                c10.Store(block + 32); c11.Store(block + 40); c12.Store(block + 48); c13.Store(block + 56);
                int cols = Math.Min(ColumnBlock, n - j);
                for (int r = 0; r < rows; r++) StorePairs(c + (nint)(i + r) * ldc + j, block + r * 2 * ColumnBlock, cols);
            }
        }
    }

    // sdot multiplies int8 by int8: a's uint8 values enter offset by -128 (a byte's top bit flipped), and
    // 128 * colSum puts the offset back. Four rows by 16 columns: sixteen 128-bit accumulators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RawArmDot(byte* a, int lda, bool aSigned, sbyte* b, int* colSums, int* c, int ldc, int m, int n, int k)
    {
        int nPad = RoundUp(n, ColumnBlock);
        // Raw bytes to int8 (a - 128): uint8 input flips the top bit; int8 input is already that value.
        uint flip = aSigned ? 0u : 0x80808080u;
        int* block = stackalloc int[4 * ColumnBlock];
        for (int i = 0; i < m; i += 4)
        {
            int rows = Math.Min(4, m - i);
            byte* r0 = a + (nint)i * lda;
            byte* r1 = rows > 1 ? r0 + lda : r0;
            byte* r2 = rows > 2 ? r1 + lda : r1;
            byte* r3 = rows > 3 ? r2 + lda : r2;
            for (int j = 0; j < n; j += ColumnBlock)
            {
                Vector128<int> c00 = default, c01 = default, c02 = default, c03 = default;
                Vector128<int> c10 = default, c11 = default, c12 = default, c13 = default;
                Vector128<int> c20 = default, c21 = default, c22 = default, c23 = default;
                Vector128<int> c30 = default, c31 = default, c32 = default, c33 = default;
                sbyte* bp = b + (nint)j * 4;
                for (int p = 0; p < k; p += 4, bp += nPad * 4)
                {
                    var b0 = Vector128.Load(bp);
                    var b1 = Vector128.Load(bp + 16);
                    var b2 = Vector128.Load(bp + 32);
                    var b3 = Vector128.Load(bp + 48);
                    // A quad past the row's end is zero-filled before the flip; B is zero there, so it adds nothing.
                    var a0 = Vector128.Create(Quad(r0, p, k, flip)).AsSByte();
                    c00 = Dp.DotProduct(c00, a0, b0); c01 = Dp.DotProduct(c01, a0, b1);
                    c02 = Dp.DotProduct(c02, a0, b2); c03 = Dp.DotProduct(c03, a0, b3);
                    var a1 = Vector128.Create(Quad(r1, p, k, flip)).AsSByte();
                    c10 = Dp.DotProduct(c10, a1, b0); c11 = Dp.DotProduct(c11, a1, b1);
                    c12 = Dp.DotProduct(c12, a1, b2); c13 = Dp.DotProduct(c13, a1, b3);
                    var a2 = Vector128.Create(Quad(r2, p, k, flip)).AsSByte();
                    c20 = Dp.DotProduct(c20, a2, b0); c21 = Dp.DotProduct(c21, a2, b1);
                    c22 = Dp.DotProduct(c22, a2, b2); c23 = Dp.DotProduct(c23, a2, b3);
                    var a3 = Vector128.Create(Quad(r3, p, k, flip)).AsSByte();
                    c30 = Dp.DotProduct(c30, a3, b0); c31 = Dp.DotProduct(c31, a3, b1);
                    c32 = Dp.DotProduct(c32, a3, b2); c33 = Dp.DotProduct(c33, a3, b3);
                }
                c00.Store(block); c01.Store(block + 4); c02.Store(block + 8); c03.Store(block + 12);
                c10.Store(block + 16); c11.Store(block + 20); c12.Store(block + 24); c13.Store(block + 28);
                c20.Store(block + 32); c21.Store(block + 36); c22.Store(block + 40); c23.Store(block + 44);
                c30.Store(block + 48); c31.Store(block + 52); c32.Store(block + 56); c33.Store(block + 60);
                int cols = Math.Min(ColumnBlock, n - j);
                for (int r = 0; r < rows; r++)
                {
                    int* cr = c + (nint)(i + r) * ldc + j;
                    int* br = block + r * ColumnBlock;
                    for (int t = 0; t < cols; t++) cr[t] = br[t] + 128 * colSums[j + t];
                }
            }
        }
    }

    // AdvSimd without the dot product, on the same offset int8 values as RawArmDot: per 16 bytes of a block's quad (four
    // columns x four depths) smull/smull2 multiply the pairs to int16 (exact: |product| <= 16384), sadalp adds adjacent
    // products into int32 (each column's depth pairs) and addp sums each column's two pair sums at the end. Two rows by
    // 16 columns: sixteen accumulators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RawArmSimd(byte* a, int lda, bool aSigned, sbyte* b, int* colSums, int* c, int ldc, int m, int n, int k)
    {
        int nPad = RoundUp(n, ColumnBlock);
        uint flip = aSigned ? 0u : 0x80808080u;
        int* block = stackalloc int[2 * ColumnBlock];
        for (int i = 0; i < m; i += 2)
        {
            int rows = Math.Min(2, m - i);
            byte* r0 = a + (nint)i * lda;
            byte* r1 = rows > 1 ? r0 + lda : r0;
            for (int j = 0; j < n; j += ColumnBlock)
            {
                Vector128<int> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default, c06 = default, c07 = default;
                Vector128<int> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default, c16 = default, c17 = default;
                sbyte* bp = b + (nint)j * 4;
                for (int p = 0; p < k; p += 4, bp += nPad * 4)
                {
                    var b0 = Vector128.Load(bp);
                    var b1 = Vector128.Load(bp + 16);
                    var b2 = Vector128.Load(bp + 32);
                    var b3 = Vector128.Load(bp + 48);
                    var a0 = Vector128.Create(Quad(r0, p, k, flip)).AsSByte();
                    var a0l = a0.GetLower();
                    c00 = AdvSimd.AddPairwiseWideningAndAdd(c00, AdvSimd.MultiplyWideningLower(a0l, b0.GetLower()));
                    c01 = AdvSimd.AddPairwiseWideningAndAdd(c01, AdvSimd.MultiplyWideningUpper(a0, b0));
                    c02 = AdvSimd.AddPairwiseWideningAndAdd(c02, AdvSimd.MultiplyWideningLower(a0l, b1.GetLower()));
                    c03 = AdvSimd.AddPairwiseWideningAndAdd(c03, AdvSimd.MultiplyWideningUpper(a0, b1));
                    c04 = AdvSimd.AddPairwiseWideningAndAdd(c04, AdvSimd.MultiplyWideningLower(a0l, b2.GetLower()));
                    c05 = AdvSimd.AddPairwiseWideningAndAdd(c05, AdvSimd.MultiplyWideningUpper(a0, b2));
                    c06 = AdvSimd.AddPairwiseWideningAndAdd(c06, AdvSimd.MultiplyWideningLower(a0l, b3.GetLower()));
                    c07 = AdvSimd.AddPairwiseWideningAndAdd(c07, AdvSimd.MultiplyWideningUpper(a0, b3));
                    var a1 = Vector128.Create(Quad(r1, p, k, flip)).AsSByte();
                    var a1l = a1.GetLower();
                    c10 = AdvSimd.AddPairwiseWideningAndAdd(c10, AdvSimd.MultiplyWideningLower(a1l, b0.GetLower()));
                    c11 = AdvSimd.AddPairwiseWideningAndAdd(c11, AdvSimd.MultiplyWideningUpper(a1, b0));
                    c12 = AdvSimd.AddPairwiseWideningAndAdd(c12, AdvSimd.MultiplyWideningLower(a1l, b1.GetLower()));
                    c13 = AdvSimd.AddPairwiseWideningAndAdd(c13, AdvSimd.MultiplyWideningUpper(a1, b1));
                    c14 = AdvSimd.AddPairwiseWideningAndAdd(c14, AdvSimd.MultiplyWideningLower(a1l, b2.GetLower()));
                    c15 = AdvSimd.AddPairwiseWideningAndAdd(c15, AdvSimd.MultiplyWideningUpper(a1, b2));
                    c16 = AdvSimd.AddPairwiseWideningAndAdd(c16, AdvSimd.MultiplyWideningLower(a1l, b3.GetLower()));
                    c17 = AdvSimd.AddPairwiseWideningAndAdd(c17, AdvSimd.MultiplyWideningUpper(a1, b3));
                }
                AdvSimd.Arm64.AddPairwise(c00, c01).Store(block); AdvSimd.Arm64.AddPairwise(c02, c03).Store(block + 4);
                AdvSimd.Arm64.AddPairwise(c04, c05).Store(block + 8); AdvSimd.Arm64.AddPairwise(c06, c07).Store(block + 12);
                AdvSimd.Arm64.AddPairwise(c10, c11).Store(block + 16); AdvSimd.Arm64.AddPairwise(c12, c13).Store(block + 20);
                AdvSimd.Arm64.AddPairwise(c14, c15).Store(block + 24); AdvSimd.Arm64.AddPairwise(c16, c17).Store(block + 28);
                int cols = Math.Min(ColumnBlock, n - j);
                for (int r = 0; r < rows; r++)
                {
                    int* cr = c + (nint)(i + r) * ldc + j;
                    int* br = block + r * ColumnBlock;
                    for (int t = 0; t < cols; t++) cr[t] = br[t] + 128 * colSums[j + t];
                }
            }
        }
    }
}
