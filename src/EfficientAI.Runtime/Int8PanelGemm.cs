// Int8 products over weights packed panel by panel, for layers that stream their weights once per call (a
// mixture-of-experts layer's experts: one token reads each chosen expert's weights once). Int8Gemm.PackB interleaves the
// column blocks of one depth quad, so a one-row product walks its weights with a stride of 16 x 4 x (columns / 16)
// bytes, a new 4 KB page every few steps, where the hardware prefetchers stop. Here each 16-column panel holds all its
// depth quads one after another (packed[panel][quad][16][4], the same bytes per column quad as Int8Gemm's), so every
// product reads a few sequential streams: one row reads four panels side by side, four rows read one panel.
// a is uint8 with its rows padded to a multiple of four bytes (the padding bytes meet zero weights); B is symmetric
// int8 (no zero point), any value in [-128, 127]: VNNI's vpdpbusd sums u8 x s8 products in int32 without saturating,
// and the AVX-512BW and AVX2 paths widen both to int16 before vpmaddwd (vpmaddubsw's int16 pair sums would saturate
// at 255 x -128 x 2). Arm's sdot multiplies int8 by int8: a's uint8 values enter offset by -128 (each byte's top bit
// flipped, so (a - 128) x b stays within [-16256, 16384]) and 128 x colSum puts the offset back, exactly (int32
// arithmetic wraps, and the true sum fits). Without the dot product (ArmSimd), smull multiplies the same int8 pairs to
// int16 (exact: |product| <= 16384) and sadalp adds them pairwise into int32.
#pragma warning disable CA2252
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

/// <summary>Int8 matrix products over a B packed panel by panel (<see cref="PackB"/>): sequential weight streams.</summary>
public static class Int8PanelGemm
{
    private const int Panel = Int8Gemm.ColumnBlock;

    private static int RoundUp(int v, int to) => (v + to - 1) / to * to;

    /// <summary>Bytes of a packed B of depth k and n columns (as <see cref="Int8Gemm.PackedLength"/>).</summary>
    public static int PackedLength(int k, int n) => RoundUp(k, 4) * RoundUp(n, Panel);

    /// <summary>The row stride a's rows need: k rounded up to four bytes.</summary>
    public static int RowStride(int k) => RoundUp(k, 4);

    /// <summary>
    /// Packs int8 b ([k, n] row-major, or [n, k] when transposed) as packed[(j / 16) * RoundUp(k, 4) * 16 + (p / 4) * 64
    /// + (j % 16) * 4 + p % 4], zero-padded, and writes each column's sum to colSums (n values).
    /// </summary>
    public static void PackB(ReadOnlySpan<sbyte> b, bool transposed, int k, int n, Span<sbyte> packed, Span<int> colSums)
    {
        if (b.Length < k * n || packed.Length < PackedLength(k, n) || colSums.Length < n) ThrowHelper.Argument("A span is shorter than its shape.");
        int panelBytes = RoundUp(k, 4) * Panel;
        packed.Slice(0, PackedLength(k, n)).Clear();
        colSums.Slice(0, n).Clear();
        for (int j = 0; j < n; j++)
        {
            int column = j / Panel * panelBytes + j % Panel * 4;
            for (int p = 0; p < k; p++)
            {
                sbyte v = transposed ? b[j * k + p] : b[p * n + j];
                packed[column + (p >> 2) * Panel * 4 + (p & 3)] = v;
                colSums[j] += v;
            }
        }
    }

    internal static Int8Gemm.Path Best => Int8Gemm.Best;

    /// <summary>
    /// c[i*ldc + j] = sum_p (a[i*lda + p] - aZero) * B[p, j] for i &lt; m, j &lt; n: a uint8 with lda &gt;= RowStride(k)
    /// (the bytes past k in a row are read and meet zero weights), B packed by <see cref="PackB"/> with its column sums.
    /// </summary>
    public static void Multiply(ReadOnlySpan<byte> a, int lda, int aZero, ReadOnlySpan<sbyte> packedB, ReadOnlySpan<int> colSums,
        Span<int> c, int ldc, int m, int n, int k) => Multiply(a, lda, aZero, packedB, colSums, c, ldc, m, n, k, Best);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Multiply(ReadOnlySpan<byte> a, int lda, int aZero, ReadOnlySpan<sbyte> packedB, ReadOnlySpan<int> colSums,
        Span<int> c, int ldc, int m, int n, int k, Int8Gemm.Path path)
    {
        if (m <= 0 || n <= 0) return;
        if (k > Int8Gemm.MaxDepth) ThrowHelper.Argument("The depth is larger than Int8Gemm.MaxDepth.");
        int kq = RoundUp(k, 4) / 4;
        if (lda < 4 * kq || a.Length < (m - 1) * lda + 4 * kq || packedB.Length < PackedLength(k, n) || colSums.Length < n
            || ldc < n || c.Length < (m - 1) * ldc + n)
        {
            ThrowHelper.Argument("A span is shorter than its shape.");
        }
        if (!Int8Gemm.IsSupported(path)) ThrowHelper.Argument("The instruction set is not available on this machine.");
        fixed (byte* pa = a)
        fixed (sbyte* pb = packedB)
        fixed (int* pc = c, ps = colSums)
        {
            for (int i = 0; i < m; i += 4)
            {
                int rows = Math.Min(4, m - i);
                byte* r0 = pa + (nint)i * lda;
                int* ci = pc + (nint)i * ldc;
                if (rows == 1 && path == Int8Gemm.Path.AvxVnni) RowVnni(r0, pb, ci, n, kq);
                else if (path == Int8Gemm.Path.AvxVnni) RowsVnni(r0, lda, rows, pb, ci, ldc, n, kq);
                else if (path == Int8Gemm.Path.Avx512) RowsAvx512(r0, lda, rows, pb, ci, ldc, n, kq);
                else if (path == Int8Gemm.Path.Avx2) RowsAvx2(r0, lda, rows, pb, ci, ldc, n, kq);
                else if (rows == 1 && path == Int8Gemm.Path.ArmDot) RowDot(r0, pb, ps, ci, n, kq);
                else if (path == Int8Gemm.Path.ArmDot) RowsDot(r0, lda, rows, pb, ps, ci, ldc, n, kq);
                else if (path == Int8Gemm.Path.ArmSimd) RowsArmSimd(r0, lda, rows, pb, ps, ci, ldc, n, kq);
                else RowsScalar(r0, lda, rows, pb, ci, ldc, n, kq);
            }
        }
        if (aZero != 0)
        {
            for (int i = 0; i < m; i++)
            {
                var ci = c.Slice(i * ldc, n);
                for (int j = 0; j < n; j++) ci[j] -= aZero * colSums[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe uint Quad(byte* row, int q) => Unsafe.ReadUnaligned<uint>(row + 4 * q);

    /// <summary>Stores count of a block's values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(int* c, int* block, int count)
    {
        for (int j = 0; j < count; j++) c[j] = block[j];
    }

    // One row: four panels (64 columns) side by side, eight independent sums in flight (vpdpbusd's latency), four
    // sequential streams; then the remaining panels one at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowVnni(byte* r0, sbyte* b, int* c, int n, int kq)
    {
        nint panelBytes = (nint)kq * Panel * 4;
        int panels = (n + Panel - 1) / Panel;
        int* block = stackalloc int[4 * Panel];
        int jb = 0;
        for (; jb + 4 <= panels; jb += 4)
        {
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            sbyte* p0 = b + jb * panelBytes, p1 = p0 + panelBytes, p2 = p1 + panelBytes, p3 = p2 + panelBytes;
            for (int q = 0; q < kq; q++)
            {
                var aq = Vector256.Create(Quad(r0, q)).AsByte();
                nint o = (nint)q * 64;
                s0 = AvxVnni.MultiplyWideningAndAdd(s0, aq, Vector256.Load(p0 + o));
                s1 = AvxVnni.MultiplyWideningAndAdd(s1, aq, Vector256.Load(p0 + o + 32));
                s2 = AvxVnni.MultiplyWideningAndAdd(s2, aq, Vector256.Load(p1 + o));
                s3 = AvxVnni.MultiplyWideningAndAdd(s3, aq, Vector256.Load(p1 + o + 32));
                s4 = AvxVnni.MultiplyWideningAndAdd(s4, aq, Vector256.Load(p2 + o));
                s5 = AvxVnni.MultiplyWideningAndAdd(s5, aq, Vector256.Load(p2 + o + 32));
                s6 = AvxVnni.MultiplyWideningAndAdd(s6, aq, Vector256.Load(p3 + o));
                s7 = AvxVnni.MultiplyWideningAndAdd(s7, aq, Vector256.Load(p3 + o + 32));
            }
            int j = jb * Panel;
            if (j + 4 * Panel <= n)
            {
                int* cj = c + j;
                s0.Store(cj); s1.Store(cj + 8); s2.Store(cj + 16); s3.Store(cj + 24);
                s4.Store(cj + 32); s5.Store(cj + 40); s6.Store(cj + 48); s7.Store(cj + 56);
            }
            else
            {
                s0.Store(block); s1.Store(block + 8); s2.Store(block + 16); s3.Store(block + 24);
                s4.Store(block + 32); s5.Store(block + 40); s6.Store(block + 48); s7.Store(block + 56);
                Store(c + j, block, n - j);
            }
        }
        for (; jb < panels; jb++)
        {
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            sbyte* p0 = b + jb * panelBytes;
            int q = 0;
            // Two depth quads per step: four independent sums.
            for (; q + 2 <= kq; q += 2)
            {
                nint o = (nint)q * 64;
                var a0 = Vector256.Create(Quad(r0, q)).AsByte();
                var a1 = Vector256.Create(Quad(r0, q + 1)).AsByte();
                s0 = AvxVnni.MultiplyWideningAndAdd(s0, a0, Vector256.Load(p0 + o));
                s1 = AvxVnni.MultiplyWideningAndAdd(s1, a0, Vector256.Load(p0 + o + 32));
                s2 = AvxVnni.MultiplyWideningAndAdd(s2, a1, Vector256.Load(p0 + o + 64));
                s3 = AvxVnni.MultiplyWideningAndAdd(s3, a1, Vector256.Load(p0 + o + 96));
            }
            if (q < kq)
            {
                var a0 = Vector256.Create(Quad(r0, q)).AsByte();
                s0 = AvxVnni.MultiplyWideningAndAdd(s0, a0, Vector256.Load(p0 + (nint)q * 64));
                s1 = AvxVnni.MultiplyWideningAndAdd(s1, a0, Vector256.Load(p0 + (nint)q * 64 + 32));
            }
            (s0 + s2).Store(block);
            (s1 + s3).Store(block + 8);
            Store(c + jb * Panel, block, Math.Min(Panel, n - jb * Panel));
        }
    }

    // Up to four rows by one panel: eight accumulators, one sequential stream. Rows past the last repeat it; their sums
    // are dropped.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowsVnni(byte* r0, int lda, int rows, sbyte* b, int* c, int ldc, int n, int kq)
    {
        nint panelBytes = (nint)kq * Panel * 4;
        byte* r1 = rows > 1 ? r0 + lda : r0;
        byte* r2 = rows > 2 ? r1 + lda : r1;
        byte* r3 = rows > 3 ? r2 + lda : r2;
        int* block = stackalloc int[4 * Panel];
        for (int j = 0; j < n; j += Panel)
        {
            Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector256<int> c20 = default, c21 = default, c30 = default, c31 = default;
            sbyte* bp = b + j / Panel * panelBytes;
            for (int q = 0; q < kq; q++, bp += 64)
            {
                var b0 = Vector256.Load(bp);
                var b1 = Vector256.Load(bp + 32);
                var a0 = Vector256.Create(Quad(r0, q)).AsByte();
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, a0, b0);
                c01 = AvxVnni.MultiplyWideningAndAdd(c01, a0, b1);
                var a1 = Vector256.Create(Quad(r1, q)).AsByte();
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, a1, b0);
                c11 = AvxVnni.MultiplyWideningAndAdd(c11, a1, b1);
                var a2 = Vector256.Create(Quad(r2, q)).AsByte();
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, a2, b0);
                c21 = AvxVnni.MultiplyWideningAndAdd(c21, a2, b1);
                var a3 = Vector256.Create(Quad(r3, q)).AsByte();
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, a3, b0);
                c31 = AvxVnni.MultiplyWideningAndAdd(c31, a3, b1);
            }
            c00.Store(block); c01.Store(block + 8);
            c10.Store(block + 16); c11.Store(block + 24);
            c20.Store(block + 32); c21.Store(block + 40);
            c30.Store(block + 48); c31.Store(block + 56);
            int cols = Math.Min(Panel, n - j);
            for (int r = 0; r < rows; r++) Store(c + (nint)r * ldc + j, block + r * Panel, cols);
        }
    }

    /// <summary>Four uint8 values widened to four int16 lanes of one 64-bit word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Widen(uint q) => Bmi2.X64.IsSupported
        ? Bmi2.X64.ParallelBitDeposit(q, 0x00FF00FF00FF00FFul)
        : (q & 0xFFul) | ((q & 0xFF00ul) << 8) | ((q & 0xFF0000ul) << 16) | ((q & 0xFF000000ul) << 24);

    /// <summary>Adds each column's two partial sums (depth p..p+1 and p+2..p+3, side by side) and stores count columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePairs(int* c, int* pairs, int count)
    {
        for (int j = 0; j < count; j++) c[j] = pairs[2 * j] + pairs[2 * j + 1];
    }

    // int16 products summed in pairs by vpmaddwd. Up to four rows by one panel: eight 512-bit accumulators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowsAvx512(byte* r0, int lda, int rows, sbyte* b, int* c, int ldc, int n, int kq)
    {
        nint panelBytes = (nint)kq * Panel * 4;
        byte* r1 = rows > 1 ? r0 + lda : r0;
        byte* r2 = rows > 2 ? r1 + lda : r1;
        byte* r3 = rows > 3 ? r2 + lda : r2;
        int* block = stackalloc int[4 * 2 * Panel];
        for (int j = 0; j < n; j += Panel)
        {
            Vector512<int> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector512<int> c20 = default, c21 = default, c30 = default, c31 = default;
            sbyte* bp = b + j / Panel * panelBytes;
            for (int q = 0; q < kq; q++, bp += 64)
            {
                var b0 = Avx512BW.ConvertToVector512Int16(Vector256.Load(bp));
                var b1 = Avx512BW.ConvertToVector512Int16(Vector256.Load(bp + 32));
                var a0 = Vector512.Create(Widen(Quad(r0, q))).AsInt16();
                c00 = Avx512F.Add(c00, Avx512BW.MultiplyAddAdjacent(a0, b0));
                c01 = Avx512F.Add(c01, Avx512BW.MultiplyAddAdjacent(a0, b1));
                var a1 = Vector512.Create(Widen(Quad(r1, q))).AsInt16();
                c10 = Avx512F.Add(c10, Avx512BW.MultiplyAddAdjacent(a1, b0));
                c11 = Avx512F.Add(c11, Avx512BW.MultiplyAddAdjacent(a1, b1));
                var a2 = Vector512.Create(Widen(Quad(r2, q))).AsInt16();
                c20 = Avx512F.Add(c20, Avx512BW.MultiplyAddAdjacent(a2, b0));
                c21 = Avx512F.Add(c21, Avx512BW.MultiplyAddAdjacent(a2, b1));
                var a3 = Vector512.Create(Widen(Quad(r3, q))).AsInt16();
                c30 = Avx512F.Add(c30, Avx512BW.MultiplyAddAdjacent(a3, b0));
                c31 = Avx512F.Add(c31, Avx512BW.MultiplyAddAdjacent(a3, b1));
            }
            c00.Store(block); c01.Store(block + 16);
            c10.Store(block + 32); c11.Store(block + 48);
            c20.Store(block + 64); c21.Store(block + 80);
            c30.Store(block + 96); c31.Store(block + 112);
            int cols = Math.Min(Panel, n - j);
            for (int r = 0; r < rows; r++) StorePairs(c + (nint)r * ldc + j, block + r * 2 * Panel, cols);
        }
    }

    // As the AVX-512 path on 256-bit vectors: up to four rows by one panel, four accumulators of four columns per row,
    // two rows at a time (sixteen registers).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowsAvx2(byte* r0, int lda, int rows, sbyte* b, int* c, int ldc, int n, int kq)
    {
        nint panelBytes = (nint)kq * Panel * 4;
        int* block = stackalloc int[2 * 2 * Panel];
        for (int i = 0; i < rows; i += 2)
        {
            int pair = Math.Min(2, rows - i);
            byte* ra = r0 + (nint)i * lda;
            byte* rb = pair > 1 ? ra + lda : ra;
            for (int j = 0; j < n; j += Panel)
            {
                Vector256<int> c00 = default, c01 = default, c02 = default, c03 = default;
                Vector256<int> c10 = default, c11 = default, c12 = default, c13 = default;
                sbyte* bp = b + j / Panel * panelBytes;
                for (int q = 0; q < kq; q++, bp += 64)
                {
                    var b0 = Avx2.ConvertToVector256Int16(Vector128.Load(bp));
                    var b1 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 16));
                    var b2 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 32));
                    var b3 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 48));
                    var a0 = Vector256.Create(Widen(Quad(ra, q))).AsInt16();
                    c00 = Avx2.Add(c00, Avx2.MultiplyAddAdjacent(a0, b0));
                    c01 = Avx2.Add(c01, Avx2.MultiplyAddAdjacent(a0, b1));
                    c02 = Avx2.Add(c02, Avx2.MultiplyAddAdjacent(a0, b2));
                    c03 = Avx2.Add(c03, Avx2.MultiplyAddAdjacent(a0, b3));
                    var a1 = Vector256.Create(Widen(Quad(rb, q))).AsInt16();
                    c10 = Avx2.Add(c10, Avx2.MultiplyAddAdjacent(a1, b0));
                    c11 = Avx2.Add(c11, Avx2.MultiplyAddAdjacent(a1, b1));
                    c12 = Avx2.Add(c12, Avx2.MultiplyAddAdjacent(a1, b2));
                    c13 = Avx2.Add(c13, Avx2.MultiplyAddAdjacent(a1, b3));
                }
                c00.Store(block); c01.Store(block + 8); c02.Store(block + 16); c03.Store(block + 24);
                c10.Store(block + 32); c11.Store(block + 40); c12.Store(block + 48); c13.Store(block + 56);
                int cols = Math.Min(Panel, n - j);
                for (int r = 0; r < pair; r++) StorePairs(c + (nint)(i + r) * ldc + j, block + r * 2 * Panel, cols);
            }
        }
    }

    /// <summary>A row's four bytes at depth quad q as int8 (a - 128), repeated in every 32-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector128<sbyte> SignedQuad(byte* row, int q) => Vector128.Create(Quad(row, q) ^ 0x80808080u).AsSByte();

    /// <summary>Stores count columns of sdot's offset sums with 128 x colSum added back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreOffset(int* c, int* block, int* colSums, int count)
    {
        for (int j = 0; j < count; j++) c[j] = block[j] + 128 * colSums[j];
    }

    // One row: four panels side by side (sixteen sdot sums in flight, four sequential streams), as RowVnni; then the
    // remaining panels one at a time, two depth quads per step.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowDot(byte* r0, sbyte* b, int* colSums, int* c, int n, int kq)
    {
        nint panelBytes = (nint)kq * Panel * 4;
        int panels = (n + Panel - 1) / Panel;
        int* block = stackalloc int[4 * Panel];
        int jb = 0;
        for (; jb + 4 <= panels; jb += 4)
        {
            Vector128<int> s00 = default, s01 = default, s02 = default, s03 = default;
            Vector128<int> s10 = default, s11 = default, s12 = default, s13 = default;
            Vector128<int> s20 = default, s21 = default, s22 = default, s23 = default;
            Vector128<int> s30 = default, s31 = default, s32 = default, s33 = default;
            sbyte* p0 = b + jb * panelBytes, p1 = p0 + panelBytes, p2 = p1 + panelBytes, p3 = p2 + panelBytes;
            for (int q = 0; q < kq; q++)
            {
                var aq = SignedQuad(r0, q);
                nint o = (nint)q * 64;
                s00 = Dp.DotProduct(s00, aq, Vector128.Load(p0 + o)); s01 = Dp.DotProduct(s01, aq, Vector128.Load(p0 + o + 16));
                s02 = Dp.DotProduct(s02, aq, Vector128.Load(p0 + o + 32)); s03 = Dp.DotProduct(s03, aq, Vector128.Load(p0 + o + 48));
                s10 = Dp.DotProduct(s10, aq, Vector128.Load(p1 + o)); s11 = Dp.DotProduct(s11, aq, Vector128.Load(p1 + o + 16));
                s12 = Dp.DotProduct(s12, aq, Vector128.Load(p1 + o + 32)); s13 = Dp.DotProduct(s13, aq, Vector128.Load(p1 + o + 48));
                s20 = Dp.DotProduct(s20, aq, Vector128.Load(p2 + o)); s21 = Dp.DotProduct(s21, aq, Vector128.Load(p2 + o + 16));
                s22 = Dp.DotProduct(s22, aq, Vector128.Load(p2 + o + 32)); s23 = Dp.DotProduct(s23, aq, Vector128.Load(p2 + o + 48));
                s30 = Dp.DotProduct(s30, aq, Vector128.Load(p3 + o)); s31 = Dp.DotProduct(s31, aq, Vector128.Load(p3 + o + 16));
                s32 = Dp.DotProduct(s32, aq, Vector128.Load(p3 + o + 32)); s33 = Dp.DotProduct(s33, aq, Vector128.Load(p3 + o + 48));
            }
            s00.Store(block); s01.Store(block + 4); s02.Store(block + 8); s03.Store(block + 12);
            s10.Store(block + 16); s11.Store(block + 20); s12.Store(block + 24); s13.Store(block + 28);
            s20.Store(block + 32); s21.Store(block + 36); s22.Store(block + 40); s23.Store(block + 44);
            s30.Store(block + 48); s31.Store(block + 52); s32.Store(block + 56); s33.Store(block + 60);
            int j = jb * Panel;
            StoreOffset(c + j, block, colSums + j, Math.Min(4 * Panel, n - j));
        }
        for (; jb < panels; jb++)
        {
            Vector128<int> s0 = default, s1 = default, s2 = default, s3 = default;
            Vector128<int> t0 = default, t1 = default, t2 = default, t3 = default;
            sbyte* p0 = b + jb * panelBytes;
            int q = 0;
            for (; q + 2 <= kq; q += 2)
            {
                nint o = (nint)q * 64;
                var a0 = SignedQuad(r0, q);
                var a1 = SignedQuad(r0, q + 1);
                s0 = Dp.DotProduct(s0, a0, Vector128.Load(p0 + o)); s1 = Dp.DotProduct(s1, a0, Vector128.Load(p0 + o + 16));
                s2 = Dp.DotProduct(s2, a0, Vector128.Load(p0 + o + 32)); s3 = Dp.DotProduct(s3, a0, Vector128.Load(p0 + o + 48));
                t0 = Dp.DotProduct(t0, a1, Vector128.Load(p0 + o + 64)); t1 = Dp.DotProduct(t1, a1, Vector128.Load(p0 + o + 80));
                t2 = Dp.DotProduct(t2, a1, Vector128.Load(p0 + o + 96)); t3 = Dp.DotProduct(t3, a1, Vector128.Load(p0 + o + 112));
            }
            if (q < kq)
            {
                nint o = (nint)q * 64;
                var a0 = SignedQuad(r0, q);
                s0 = Dp.DotProduct(s0, a0, Vector128.Load(p0 + o)); s1 = Dp.DotProduct(s1, a0, Vector128.Load(p0 + o + 16));
                s2 = Dp.DotProduct(s2, a0, Vector128.Load(p0 + o + 32)); s3 = Dp.DotProduct(s3, a0, Vector128.Load(p0 + o + 48));
            }
            (s0 + t0).Store(block); (s1 + t1).Store(block + 4); (s2 + t2).Store(block + 8); (s3 + t3).Store(block + 12);
            int j = jb * Panel;
            StoreOffset(c + j, block, colSums + j, Math.Min(Panel, n - j));
        }
    }

    // Up to four rows by one panel: sixteen sdot accumulators, one sequential stream. Rows past the last repeat it; their
    // sums are dropped.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowsDot(byte* r0, int lda, int rows, sbyte* b, int* colSums, int* c, int ldc, int n, int kq)
    {
        nint panelBytes = (nint)kq * Panel * 4;
        byte* r1 = rows > 1 ? r0 + lda : r0;
        byte* r2 = rows > 2 ? r1 + lda : r1;
        byte* r3 = rows > 3 ? r2 + lda : r2;
        int* block = stackalloc int[4 * Panel];
        for (int j = 0; j < n; j += Panel)
        {
            Vector128<int> c00 = default, c01 = default, c02 = default, c03 = default;
            Vector128<int> c10 = default, c11 = default, c12 = default, c13 = default;
            Vector128<int> c20 = default, c21 = default, c22 = default, c23 = default;
            Vector128<int> c30 = default, c31 = default, c32 = default, c33 = default;
            sbyte* bp = b + j / Panel * panelBytes;
            for (int q = 0; q < kq; q++, bp += 64)
            {
                var b0 = Vector128.Load(bp);
                var b1 = Vector128.Load(bp + 16);
                var b2 = Vector128.Load(bp + 32);
                var b3 = Vector128.Load(bp + 48);
                var a0 = SignedQuad(r0, q);
                c00 = Dp.DotProduct(c00, a0, b0); c01 = Dp.DotProduct(c01, a0, b1);
                c02 = Dp.DotProduct(c02, a0, b2); c03 = Dp.DotProduct(c03, a0, b3);
                var a1 = SignedQuad(r1, q);
                c10 = Dp.DotProduct(c10, a1, b0); c11 = Dp.DotProduct(c11, a1, b1);
                c12 = Dp.DotProduct(c12, a1, b2); c13 = Dp.DotProduct(c13, a1, b3);
                var a2 = SignedQuad(r2, q);
                c20 = Dp.DotProduct(c20, a2, b0); c21 = Dp.DotProduct(c21, a2, b1);
                c22 = Dp.DotProduct(c22, a2, b2); c23 = Dp.DotProduct(c23, a2, b3);
                var a3 = SignedQuad(r3, q);
                c30 = Dp.DotProduct(c30, a3, b0); c31 = Dp.DotProduct(c31, a3, b1);
                c32 = Dp.DotProduct(c32, a3, b2); c33 = Dp.DotProduct(c33, a3, b3);
            }
            c00.Store(block); c01.Store(block + 4); c02.Store(block + 8); c03.Store(block + 12);
            c10.Store(block + 16); c11.Store(block + 20); c12.Store(block + 24); c13.Store(block + 28);
            c20.Store(block + 32); c21.Store(block + 36); c22.Store(block + 40); c23.Store(block + 44);
            c30.Store(block + 48); c31.Store(block + 52); c32.Store(block + 56); c33.Store(block + 60);
            int cols = Math.Min(Panel, n - j);
            for (int r = 0; r < rows; r++) StoreOffset(c + (nint)r * ldc + j, block + r * Panel, colSums + j, cols);
        }
    }

    // AdvSimd without the dot product: per 16 bytes of a panel quad (four columns x four depths), smull/smull2 multiply
    // the int8 pairs to int16 and sadalp adds adjacent products into int32 (each column's depth pairs), and addp sums
    // each column's two pair sums at the end. Two rows by one panel: sixteen accumulators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowsArmSimd(byte* r0, int lda, int rows, sbyte* b, int* colSums, int* c, int ldc, int n, int kq)
    {
        nint panelBytes = (nint)kq * Panel * 4;
        int* block = stackalloc int[2 * Panel];
        for (int i = 0; i < rows; i += 2)
        {
            int pair = Math.Min(2, rows - i);
            byte* ra = r0 + (nint)i * lda;
            byte* rb = pair > 1 ? ra + lda : ra;
            for (int j = 0; j < n; j += Panel)
            {
                Vector128<int> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default, c06 = default, c07 = default;
                Vector128<int> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default, c16 = default, c17 = default;
                sbyte* bp = b + j / Panel * panelBytes;
                for (int q = 0; q < kq; q++, bp += 64)
                {
                    var b0 = Vector128.Load(bp);
                    var b1 = Vector128.Load(bp + 16);
                    var b2 = Vector128.Load(bp + 32);
                    var b3 = Vector128.Load(bp + 48);
                    var a0 = SignedQuad(ra, q);
                    var a0l = a0.GetLower();
                    c00 = AdvSimd.AddPairwiseWideningAndAdd(c00, AdvSimd.MultiplyWideningLower(a0l, b0.GetLower()));
                    c01 = AdvSimd.AddPairwiseWideningAndAdd(c01, AdvSimd.MultiplyWideningUpper(a0, b0));
                    c02 = AdvSimd.AddPairwiseWideningAndAdd(c02, AdvSimd.MultiplyWideningLower(a0l, b1.GetLower()));
                    c03 = AdvSimd.AddPairwiseWideningAndAdd(c03, AdvSimd.MultiplyWideningUpper(a0, b1));
                    c04 = AdvSimd.AddPairwiseWideningAndAdd(c04, AdvSimd.MultiplyWideningLower(a0l, b2.GetLower()));
                    c05 = AdvSimd.AddPairwiseWideningAndAdd(c05, AdvSimd.MultiplyWideningUpper(a0, b2));
                    c06 = AdvSimd.AddPairwiseWideningAndAdd(c06, AdvSimd.MultiplyWideningLower(a0l, b3.GetLower()));
                    c07 = AdvSimd.AddPairwiseWideningAndAdd(c07, AdvSimd.MultiplyWideningUpper(a0, b3));
                    var a1 = SignedQuad(rb, q);
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
                // Lanes (column, depth pair) -> columns: addp of two accumulators gives four columns.
                AdvSimd.Arm64.AddPairwise(c00, c01).Store(block); AdvSimd.Arm64.AddPairwise(c02, c03).Store(block + 4);
                AdvSimd.Arm64.AddPairwise(c04, c05).Store(block + 8); AdvSimd.Arm64.AddPairwise(c06, c07).Store(block + 12);
                AdvSimd.Arm64.AddPairwise(c10, c11).Store(block + 16); AdvSimd.Arm64.AddPairwise(c12, c13).Store(block + 20);
                AdvSimd.Arm64.AddPairwise(c14, c15).Store(block + 24); AdvSimd.Arm64.AddPairwise(c16, c17).Store(block + 28);
                int cols = Math.Min(Panel, n - j);
                for (int r = 0; r < pair; r++) StoreOffset(c + (nint)(i + r) * ldc + j, block + r * Panel, colSums + j, cols);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowsScalar(byte* r0, int lda, int rows, sbyte* b, int* c, int ldc, int n, int kq)
    {
        nint panelBytes = (nint)kq * Panel * 4;
        for (int r = 0; r < rows; r++)
        {
            byte* row = r0 + (nint)r * lda;
            for (int j = 0; j < n; j++)
            {
                sbyte* bq = b + j / Panel * panelBytes + j % Panel * 4;
                int sum = 0;
                for (int q = 0; q < kq; q++, bq += 64)
                {
                    byte* aq = row + 4 * q;
                    sum += aq[0] * bq[0] + aq[1] * bq[1] + aq[2] * bq[2] + aq[3] * bq[3];
                }
                c[(nint)r * ldc + j] = sum;
            }
        }
    }
}
