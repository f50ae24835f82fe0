// General single-precision GEMM without packing buffers on the heap. The product is accumulated into y
// (pre-filled with beta * C) by register-blocked micro-kernels written once over ISimd and instantiated
// for 512/256/128-bit vectors; column tails fall through to narrower widths and finally scalar code.
// Hot loops are AggressiveOptimization: tier-0 code would not inline the ISimd calls and runs ~50x slower.
using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EfficientAI.Runtime;

/// <summary>Dense matrix products.</summary>
public static partial class Gemm
{
    /// <summary>Widest vector (in floats) the kernels may use; tests lower it to cover every code path.</summary>
    internal const int MaxVectorWidth = 16;

    // Depth of one k block: keeps the B panel a micro-kernel streams (kc x 2 vectors) inside L1.
    private const int DepthBlock = 256;

    /// <summary>
    /// y[m,n] = alpha * sum_k op(a)[m,k] * op(b)[k,n] + beta * c, where op(a) is a ([m,k]) or, with
    /// transA, the transpose of a stored as [k,m]; likewise b ([k,n], or [n,k] with transB).
    /// c has shape [cRows, cCols] with cRows in {1, m} and cCols in {1, n} (broadcast), or is empty.
    /// y must not overlap a, b or c.
    /// </summary>
    public static void Compute(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> y,
        int m, int n, int k, bool transA, bool transB, float alpha, float beta, int cRows, int cCols) =>
        Compute(a, b, c, y, m, n, k, transA, transB, alpha, beta, cRows, cCols, MaxVectorWidth);

    /// <summary>
    /// Batched matrix product: for each i, y[i*m*n ..] ([m,n]) = a[aOffsets[i] ..] ([m,k]) * b[bOffsets[i] ..] ([k,n]).
    /// The number of batches is aOffsets.Length (== bOffsets.Length).
    /// </summary>
    public static void MatMulBatched(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y,
        int m, int n, int k, ReadOnlySpan<int> aOffsets, ReadOnlySpan<int> bOffsets)
    {
        if (aOffsets.Length != bOffsets.Length) ThrowHelper.Argument("aOffsets and bOffsets differ in length.");
        int mn = m * n;
        for (int i = 0; i < aOffsets.Length; i++)
        {
            Compute(a.Slice(aOffsets[i]), b.Slice(bOffsets[i]), default, y.Slice(i * mn, mn),
                m, n, k, false, false, 1f, 0f, 0, 0, MaxVectorWidth);
        }
    }

    /// <summary><see cref="Compute(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool, bool, float, float, int, int)"/> limited to vectors of at most maxWidth floats.</summary>
    internal static unsafe void Compute(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> y,
        int m, int n, int k, bool transA, bool transB, float alpha, float beta, int cRows, int cCols, int maxWidth)
    {
        if (m <= 0 || n <= 0) return;
        if (y.Length < m * n) ThrowHelper.Argument("y is too short.");
        InitializeOutput(c, y.Slice(0, m * n), m, n, beta, cRows, cCols);
        if (k <= 0 || alpha == 0f) return;
        if (a.Length < m * k || b.Length < k * n) ThrowHelper.Argument("a or b is too short.");

        fixed (float* pa = a, pb = b, py = y)
        {
            if (!transB)
            {
                // op(a)[i,p] = a[i*rowStride + p*colStride] covers both layouts of a.
                AccumulateNN(pa, transA ? 1 : k, transA ? m : 1, pb, n, py, n, m, n, k, alpha, maxWidth);
            }
            else if (!transA)
            {
                AccumulateNT(pa, k, pb, k, py, n, m, n, k, alpha, maxWidth);
            }
            else
            {
                AccumulateTT(pa, pb, py, m, n, k, alpha, maxWidth);
            }
        }
    }

    /// <summary>y = beta * broadcast(c), or zero when there is no c term.</summary>
    private static void InitializeOutput(ReadOnlySpan<float> c, Span<float> y, int m, int n, float beta, int cRows, int cCols)
    {
        if (beta == 0f || c.IsEmpty)
        {
            y.Clear();
            return;
        }
        if (c.Length < cRows * cCols) ThrowHelper.Argument("c is shorter than cRows * cCols.");
        if (cRows == m && cCols == n)
        {
            TensorPrimitives.Multiply(c.Slice(0, m * n), beta, y);
        }
        else if (cRows == 1 && cCols == n)
        {
            ReadOnlySpan<float> row = c.Slice(0, n);
            for (int i = 0; i < m; i++) TensorPrimitives.Multiply(row, beta, y.Slice(i * n, n));
        }
        else if (cRows == m && cCols == 1)
        {
            for (int i = 0; i < m; i++) y.Slice(i * n, n).Fill(beta * c[i]);
        }
        else if (cRows == 1 && cCols == 1)
        {
            y.Fill(beta * c[0]);
        }
        else
        {
            ThrowHelper.Argument("c cannot be broadcast to [m, n].");
        }
    }

    /// <summary>
    /// y[i*ldy + j] += alpha * sum_p a[i*aRowStride + p*aColStride] * b[p*ldb + j] for i &lt; m, j &lt; n, p &lt; k.
    /// Shared with Conv, which feeds strided views of its input and weights.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void AccumulateNN(float* a, nint aRowStride, nint aColStride, float* b, nint ldb,
        float* y, nint ldy, int m, int n, int k, float alpha, int maxWidth = MaxVectorWidth)
    {
        for (int p0 = 0; p0 < k; p0 += DepthBlock)
        {
            int kc = Math.Min(DepthBlock, k - p0);
            float* ap = a + p0 * aColStride;
            float* bp = b + p0 * ldb;
            int j = 0;
            if (maxWidth >= 16 && Simd512.IsSupported)
                j = BlockNN<Simd512, Vector512<float>>(ap, aRowStride, aColStride, bp, ldb, y, ldy, m, j, n, kc, alpha);
            if (maxWidth >= 8 && Simd256.IsSupported)
                j = BlockNN<Simd256, Vector256<float>>(ap, aRowStride, aColStride, bp, ldb, y, ldy, m, j, n, kc, alpha);
            if (maxWidth >= 4 && Simd128.IsSupported)
                j = BlockNN<Simd128, Vector128<float>>(ap, aRowStride, aColStride, bp, ldb, y, ldy, m, j, n, kc, alpha);
            for (; j < n; j++)
            {
                for (int i = 0; i < m; i++)
                {
                    float* ai = ap + i * aRowStride;
                    float* bj = bp + j;
                    float sum = 0f;
                    for (int p = 0; p < kc; p++) sum += ai[p * aColStride] * bj[p * ldb];
                    y[i * ldy + j] += alpha * sum;
                }
            }
        }
    }

    /// <summary>Runs the 4x2 / 1x2 / 4x1 / 1x1 vector tiles over columns [j0, n); returns the first column left over.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int BlockNN<TS, TV>(float* a, nint aRs, nint aCs, float* b, nint ldb, float* y, nint ldy,
        int m, int j0, int n, int kc, float alpha) where TS : struct, ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        int j = j0;
        for (; j + 2 * w <= n; j += 2 * w)
        {
            int i = 0;
            for (; i + 4 <= m; i += 4) Tile4x2<TS, TV>(a + i * aRs, aRs, aCs, b + j, ldb, y + i * ldy + j, ldy, kc, alpha);
            for (; i < m; i++) Tile1x2<TS, TV>(a + i * aRs, aCs, b + j, ldb, y + i * ldy + j, kc, alpha);
        }
        for (; j + w <= n; j += w)
        {
            int i = 0;
            for (; i + 4 <= m; i += 4) Tile4x1<TS, TV>(a + i * aRs, aRs, aCs, b + j, ldb, y + i * ldy + j, ldy, kc, alpha);
            for (; i < m; i++) Tile1x1<TS, TV>(a + i * aRs, aCs, b + j, ldb, y + i * ldy + j, kc, alpha);
        }
        return j;
    }

    // 4 rows x 2 vectors: 8 independent accumulators hide the FMA latency; B is read once per 4 rows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Tile4x2<TS, TV>(float* a, nint aRs, nint aCs, float* b, nint ldb, float* y, nint ldy, int kc, float alpha)
        where TS : struct, ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        TV c00 = default, c01 = default, c10 = default, c11 = default;
        TV c20 = default, c21 = default, c30 = default, c31 = default;
        float* a0 = a, a1 = a + aRs, a2 = a + 2 * aRs, a3 = a + 3 * aRs;
        for (int p = 0; p < kc; p++)
        {
            TV b0 = TS.Load(b), b1 = TS.Load(b + w);
            TV av = TS.Splat(*a0);
            c00 = TS.Fma(av, b0, c00); c01 = TS.Fma(av, b1, c01);
            av = TS.Splat(*a1);
            c10 = TS.Fma(av, b0, c10); c11 = TS.Fma(av, b1, c11);
            av = TS.Splat(*a2);
            c20 = TS.Fma(av, b0, c20); c21 = TS.Fma(av, b1, c21);
            av = TS.Splat(*a3);
            c30 = TS.Fma(av, b0, c30); c31 = TS.Fma(av, b1, c31);
            a0 += aCs; a1 += aCs; a2 += aCs; a3 += aCs;
            b += ldb;
        }
        TV va = TS.Splat(alpha);
        TS.Store(y, TS.Fma(va, c00, TS.Load(y))); TS.Store(y + w, TS.Fma(va, c01, TS.Load(y + w)));
        y += ldy;
        TS.Store(y, TS.Fma(va, c10, TS.Load(y))); TS.Store(y + w, TS.Fma(va, c11, TS.Load(y + w)));
        y += ldy;
        TS.Store(y, TS.Fma(va, c20, TS.Load(y))); TS.Store(y + w, TS.Fma(va, c21, TS.Load(y + w)));
        y += ldy;
        TS.Store(y, TS.Fma(va, c30, TS.Load(y))); TS.Store(y + w, TS.Fma(va, c31, TS.Load(y + w)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Tile4x1<TS, TV>(float* a, nint aRs, nint aCs, float* b, nint ldb, float* y, nint ldy, int kc, float alpha)
        where TS : struct, ISimd<TV> where TV : struct
    {
        TV c0 = default, c1 = default, c2 = default, c3 = default;
        float* a0 = a, a1 = a + aRs, a2 = a + 2 * aRs, a3 = a + 3 * aRs;
        for (int p = 0; p < kc; p++)
        {
            TV b0 = TS.Load(b);
            c0 = TS.Fma(TS.Splat(*a0), b0, c0);
            c1 = TS.Fma(TS.Splat(*a1), b0, c1);
            c2 = TS.Fma(TS.Splat(*a2), b0, c2);
            c3 = TS.Fma(TS.Splat(*a3), b0, c3);
            a0 += aCs; a1 += aCs; a2 += aCs; a3 += aCs;
            b += ldb;
        }
        TV va = TS.Splat(alpha);
        TS.Store(y, TS.Fma(va, c0, TS.Load(y))); y += ldy;
        TS.Store(y, TS.Fma(va, c1, TS.Load(y))); y += ldy;
        TS.Store(y, TS.Fma(va, c2, TS.Load(y))); y += ldy;
        TS.Store(y, TS.Fma(va, c3, TS.Load(y)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Tile1x2<TS, TV>(float* a, nint aCs, float* b, nint ldb, float* y, int kc, float alpha)
        where TS : struct, ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        // Two accumulator pairs over alternating p break the dependency chain of a single row.
        TV c0 = default, c1 = default, d0 = default, d1 = default;
        int p = 0;
        for (; p + 2 <= kc; p += 2)
        {
            TV av = TS.Splat(*a);
            c0 = TS.Fma(av, TS.Load(b), c0); c1 = TS.Fma(av, TS.Load(b + w), c1);
            TV av2 = TS.Splat(a[aCs]);
            d0 = TS.Fma(av2, TS.Load(b + ldb), d0); d1 = TS.Fma(av2, TS.Load(b + ldb + w), d1);
            a += 2 * aCs;
            b += 2 * ldb;
        }
        if (p < kc)
        {
            TV av = TS.Splat(*a);
            c0 = TS.Fma(av, TS.Load(b), c0); c1 = TS.Fma(av, TS.Load(b + w), c1);
        }
        TV va = TS.Splat(alpha);
        TS.Store(y, TS.Fma(va, TS.Add(c0, d0), TS.Load(y)));
        TS.Store(y + w, TS.Fma(va, TS.Add(c1, d1), TS.Load(y + w)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Tile1x1<TS, TV>(float* a, nint aCs, float* b, nint ldb, float* y, int kc, float alpha)
        where TS : struct, ISimd<TV> where TV : struct
    {
        TV c0 = default;
        for (int p = 0; p < kc; p++)
        {
            c0 = TS.Fma(TS.Splat(*a), TS.Load(b), c0);
            a += aCs;
            b += ldb;
        }
        TS.Store(y, TS.Fma(TS.Splat(alpha), c0, TS.Load(y)));
    }

    /// <summary>y[i*ldy + j] += alpha * dot(a row i, b row j): both operands contiguous along k, so vectorize over k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void AccumulateNT(float* a, nint lda, float* b, nint ldb, float* y, nint ldy,
        int m, int n, int k, float alpha, int maxWidth = MaxVectorWidth)
    {
        if (maxWidth >= 16 && Simd512.IsSupported && k >= 32)
            BlockNT<Simd512, Vector512<float>>(a, lda, b, ldb, y, ldy, m, n, k, alpha);
        else if (maxWidth >= 8 && Simd256.IsSupported && k >= 8)
            BlockNT<Simd256, Vector256<float>>(a, lda, b, ldb, y, ldy, m, n, k, alpha);
        else if (maxWidth >= 4 && Simd128.IsSupported && k >= 4)
            BlockNT<Simd128, Vector128<float>>(a, lda, b, ldb, y, ldy, m, n, k, alpha);
        else
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    float sum = 0f;
                    for (int p = 0; p < k; p++) sum += a[i * lda + p] * b[j * ldb + p];
                    y[i * ldy + j] += alpha * sum;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BlockNT<TS, TV>(float* a, nint lda, float* b, nint ldb, float* y, nint ldy,
        int m, int n, int k, float alpha) where TS : struct, ISimd<TV> where TV : struct
    {
        // Blocking k keeps the four B rows of a tile in L1 while every row pair of A passes over them.
        const int depth = 512;
        for (int p0 = 0; p0 < k; p0 += depth)
        {
            int kc = Math.Min(depth, k - p0);
            int j = 0;
            for (; j + 4 <= n; j += 4)
            {
                int i = 0;
                for (; i + 2 <= m; i += 2) Dot2x4<TS, TV>(a + i * lda + p0, lda, b + j * ldb + p0, ldb, y + i * ldy + j, ldy, kc, alpha);
                for (; i < m; i++) Dot1x4<TS, TV>(a + i * lda + p0, b + j * ldb + p0, ldb, y + i * ldy + j, kc, alpha);
            }
            for (; j < n; j++)
            {
                for (int i = 0; i < m; i++) y[i * ldy + j] += alpha * Dot<TS, TV>(a + i * lda + p0, b + j * ldb + p0, kc);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Dot2x4<TS, TV>(float* a, nint lda, float* b, nint ldb, float* y, nint ldy, int kc, float alpha)
        where TS : struct, ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        float* a0 = a, a1 = a + lda;
        float* b0 = b, b1 = b + ldb, b2 = b + 2 * ldb, b3 = b + 3 * ldb;
        TV c00 = default, c01 = default, c02 = default, c03 = default;
        TV c10 = default, c11 = default, c12 = default, c13 = default;
        int p = 0;
        for (; p + w <= kc; p += w)
        {
            TV x0 = TS.Load(a0 + p), x1 = TS.Load(a1 + p);
            TV v = TS.Load(b0 + p); c00 = TS.Fma(x0, v, c00); c10 = TS.Fma(x1, v, c10);
            v = TS.Load(b1 + p); c01 = TS.Fma(x0, v, c01); c11 = TS.Fma(x1, v, c11);
            v = TS.Load(b2 + p); c02 = TS.Fma(x0, v, c02); c12 = TS.Fma(x1, v, c12);
            v = TS.Load(b3 + p); c03 = TS.Fma(x0, v, c03); c13 = TS.Fma(x1, v, c13);
        }
        float s00 = TS.Sum(c00), s01 = TS.Sum(c01), s02 = TS.Sum(c02), s03 = TS.Sum(c03);
        float s10 = TS.Sum(c10), s11 = TS.Sum(c11), s12 = TS.Sum(c12), s13 = TS.Sum(c13);
        for (; p < kc; p++)
        {
            float x0 = a0[p], x1 = a1[p];
            s00 += x0 * b0[p]; s01 += x0 * b1[p]; s02 += x0 * b2[p]; s03 += x0 * b3[p];
            s10 += x1 * b0[p]; s11 += x1 * b1[p]; s12 += x1 * b2[p]; s13 += x1 * b3[p];
        }
        y[0] += alpha * s00; y[1] += alpha * s01; y[2] += alpha * s02; y[3] += alpha * s03;
        y += ldy;
        y[0] += alpha * s10; y[1] += alpha * s11; y[2] += alpha * s12; y[3] += alpha * s13;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Dot1x4<TS, TV>(float* a, float* b, nint ldb, float* y, int kc, float alpha)
        where TS : struct, ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        float* b0 = b, b1 = b + ldb, b2 = b + 2 * ldb, b3 = b + 3 * ldb;
        TV c0 = default, c1 = default, c2 = default, c3 = default;
        int p = 0;
        for (; p + w <= kc; p += w)
        {
            TV x = TS.Load(a + p);
            c0 = TS.Fma(x, TS.Load(b0 + p), c0);
            c1 = TS.Fma(x, TS.Load(b1 + p), c1);
            c2 = TS.Fma(x, TS.Load(b2 + p), c2);
            c3 = TS.Fma(x, TS.Load(b3 + p), c3);
        }
        float s0 = TS.Sum(c0), s1 = TS.Sum(c1), s2 = TS.Sum(c2), s3 = TS.Sum(c3);
        for (; p < kc; p++)
        {
            float x = a[p];
            s0 += x * b0[p]; s1 += x * b1[p]; s2 += x * b2[p]; s3 += x * b3[p];
        }
        y[0] += alpha * s0; y[1] += alpha * s1; y[2] += alpha * s2; y[3] += alpha * s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float Dot<TS, TV>(float* a, float* b, int kc) where TS : struct, ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        TV acc = default;
        int p = 0;
        for (; p + w <= kc; p += w) acc = TS.Fma(TS.Load(a + p), TS.Load(b + p), acc);
        float s = TS.Sum(acc);
        for (; p < kc; p++) s += a[p] * b[p];
        return s;
    }

    /// <summary>Both operands transposed: pack op(b) blocks into a 16 KB stack panel, then run the NN kernel.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AccumulateTT(float* a, float* b, float* y, int m, int n, int k, float alpha, int maxWidth)
    {
        const int depth = 64, width = 64;
        float* panel = stackalloc float[depth * width];
        for (int p0 = 0; p0 < k; p0 += depth)
        {
            int kc = Math.Min(depth, k - p0);
            for (int j0 = 0; j0 < n; j0 += width)
            {
                int nb = Math.Min(width, n - j0);
                for (int jj = 0; jj < nb; jj++)
                {
                    float* src = b + (nint)(j0 + jj) * k + p0;
                    for (int pp = 0; pp < kc; pp++) panel[pp * nb + jj] = src[pp];
                }
                AccumulateNN(a + (nint)p0 * m, 1, m, panel, nb, y + j0, n, m, nb, kc, alpha, maxWidth);
            }
        }
    }
}
