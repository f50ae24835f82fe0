using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

/// <summary>
/// y = a * W for a pruned constant weight W [k, n] stored compressed by output column (CSR of W's transpose): column j's
/// nonzeros are values[columnStart[j] .. columnStart[j+1]) at rows rowIndex[...] of W. Each output is a sparse dot
/// product of a row of a with one column, so only the nonzero weights are read and multiplied. The zeros a dense kernel
/// would multiply are skipped; in exchange the row of a is read by index (AVX2 gathers, 8 lanes).
/// </summary>
public static class SparseGemm
{
    /// <summary>
    /// y[i, j] = activation(bias[j] + sum over e in column j of values[e] * a[i * k + rowIndex[e]]), for i &lt; m, j &lt; n.
    /// bias may be empty. Every rowIndex must be in [0, k) and columnStart non-decreasing from 0 (checked).
    /// </summary>
    public static unsafe void Compute(ReadOnlySpan<float> a, ReadOnlySpan<int> columnStart, ReadOnlySpan<int> rowIndex, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, Span<float> y, int m, int n, int k, Activation activation)
    {
        if (m <= 0 || n <= 0) return;
        if (a.Length < m * k || y.Length < m * n || columnStart.Length < n + 1 || (!bias.IsEmpty && bias.Length < n))
            ThrowHelper.Argument("A span is shorter than its shape.");
        int nonzeros = columnStart[n];
        if (columnStart[0] != 0 || nonzeros > rowIndex.Length || nonzeros > values.Length)
            ThrowHelper.Argument("columnStart does not describe rowIndex and values.");
        for (int j = 0; j < n; j++)
            if (columnStart[j] > columnStart[j + 1]) ThrowHelper.Argument("columnStart decreases.");
        if (!IndicesBelow(rowIndex.Slice(0, nonzeros), k)) ThrowHelper.Argument("A row index is outside [0, k).");
        fixed (float* pa = a, pv = values, pb = bias, py = y)
        fixed (int* ps = columnStart, pi = rowIndex)
        {
            Rows(pa, ps, pi, pv, bias.IsEmpty ? null : pb, py, m, n, k);
        }
        activation.Apply(y.Slice(0, m * n));
    }

    // Tier-0 code would call the vector intrinsics instead of inlining them (several times slower).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows(float* a, int* columnStart, int* rowIndex, float* values, float* bias, float* y, int m, int n, int k)
    {
        for (int i = 0; i < m; i++)
        {
            float* x = a + (long)i * k, row = y + (long)i * n;
            for (int j = 0; j < n; j++)
            {
                int start = columnStart[j];
                float sum = Dot(x, rowIndex + start, values + start, columnStart[j + 1] - start);
                row[j] = bias == null ? sum : sum + bias[j];
            }
        }
    }

    /// <summary>Floats of scratch <see cref="ComputeRows(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Activation)"/> needs: k x 16 (a block of 16 rows of a, transposed).</summary>
    public static long RowsScratchFloats(int k) => (long)k * RowBlock;

    private const int RowBlock = 16;

    /// <summary>
    /// The same product for many rows of a, vectorized over rows instead of gathering: blocks of 16 rows of a are transposed
    /// into scratch (k x 16), then each nonzero weight is broadcast and multiplied into 16 rows at once (no gathers).
    /// scratch holds at least RowsScratchFloats(k) floats.
    /// </summary>
    public static void ComputeRows(ReadOnlySpan<float> a, ReadOnlySpan<int> columnStart, ReadOnlySpan<int> rowIndex, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, Span<float> y, int m, int n, int k, Span<float> scratch, Activation activation) =>
        ComputeRows(a, columnStart, rowIndex, values, bias, y, m, n, k, scratch, activation, RowBlock);

    /// <summary><see cref="ComputeRows(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Activation)"/> with vectors of at most maxWidth floats (16: AVX-512, less: scalar), for tests.</summary>
    internal static unsafe void ComputeRows(ReadOnlySpan<float> a, ReadOnlySpan<int> columnStart, ReadOnlySpan<int> rowIndex, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, Span<float> y, int m, int n, int k, Span<float> scratch, Activation activation, int maxWidth)
    {
        if (m <= 0 || n <= 0) return;
        if (a.Length < m * k || y.Length < m * n || columnStart.Length < n + 1 || (!bias.IsEmpty && bias.Length < n) || scratch.Length < RowsScratchFloats(k))
            ThrowHelper.Argument("A span is shorter than its shape.");
        int nonzeros = columnStart[n];
        if (columnStart[0] != 0 || nonzeros > rowIndex.Length || nonzeros > values.Length)
            ThrowHelper.Argument("columnStart does not describe rowIndex and values.");
        for (int j = 0; j < n; j++)
            if (columnStart[j] > columnStart[j + 1]) ThrowHelper.Argument("columnStart decreases.");
        if (!IndicesBelow(rowIndex.Slice(0, nonzeros), k)) ThrowHelper.Argument("A row index is outside [0, k).");
        float* tail = stackalloc float[RowBlock];
        fixed (float* pa = a, pv = values, pb = bias, py = y, ps = scratch)
        fixed (int* pStart = columnStart, pIndex = rowIndex)
        {
            RowBlocks(pa, pStart, pIndex, pv, bias.IsEmpty ? null : pb, py, m, n, k, ps, tail, maxWidth);
        }
        activation.Apply(y.Slice(0, m * n));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowBlocks(float* a, int* columnStart, int* rowIndex, float* values, float* bias, float* y, int m, int n, int k,
        float* at, float* tail, int maxWidth)
    {
        for (int i0 = 0; i0 < m; i0 += RowBlock)
        {
            int rows = Math.Min(RowBlock, m - i0);
            for (int p = 0; p < k; p++)
                for (int r = 0; r < RowBlock; r++) at[p * RowBlock + r] = r < rows ? a[(long)(i0 + r) * k + p] : 0f;
            for (int j = 0; j < n; j++)
            {
                int start = columnStart[j], count = columnStart[j + 1] - start;
                int* index = rowIndex + start;
                float* v = values + start;
                float b = bias == null ? 0f : bias[j];
                if (Avx512F.IsSupported && maxWidth >= RowBlock)
                {
                    // Four chains over the nonzeros (the multiply-add latency is covered), summed at the end.
                    Vector512<float> acc0 = Vector512.Create(b), acc1 = Vector512<float>.Zero, acc2 = acc1, acc3 = acc1;
                    int e = 0;
                    for (; e + 4 <= count; e += 4)
                    {
                        acc0 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[e]), Avx512F.LoadVector512(at + (nint)index[e] * RowBlock), acc0);
                        acc1 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[e + 1]), Avx512F.LoadVector512(at + (nint)index[e + 1] * RowBlock), acc1);
                        acc2 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[e + 2]), Avx512F.LoadVector512(at + (nint)index[e + 2] * RowBlock), acc2);
                        acc3 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[e + 3]), Avx512F.LoadVector512(at + (nint)index[e + 3] * RowBlock), acc3);
                    }
                    for (; e < count; e++) acc0 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[e]), Avx512F.LoadVector512(at + (nint)index[e] * RowBlock), acc0);
                    ((acc0 + acc1) + (acc2 + acc3)).Store(tail);
                }
                else
                {
                    for (int r = 0; r < RowBlock; r++) tail[r] = b;
                    for (int e = 0; e < count; e++)
                    {
                        float w = v[e];
                        float* row = at + (nint)index[e] * RowBlock;
                        for (int r = 0; r < RowBlock; r++) tail[r] += w * row[r];
                    }
                }
                for (int r = 0; r < rows; r++) y[(long)(i0 + r) * n + j] = tail[r];
            }
        }
    }

    /// <summary>True when every index is in [0, limit): one unsigned compare per lane.</summary>
    private static bool IndicesBelow(ReadOnlySpan<int> indices, int limit)
    {
        int e = 0;
        if (Vector256.IsHardwareAccelerated && indices.Length >= 8)
        {
            var bound = Vector256.Create((uint)limit);
            var bad = Vector256<uint>.Zero;
            for (; e + 8 <= indices.Length; e += 8)
                bad |= Vector256.GreaterThanOrEqual(Vector256.Create(indices.Slice(e, 8)).AsUInt32(), bound);
            if (bad != Vector256<uint>.Zero) return false;
        }
        for (; e < indices.Length; e++)
            if ((uint)indices[e] >= (uint)limit) return false;
        return true;
    }

    /// <summary>sum of values[e] * x[index[e]] for e &lt; count; AVX2 gathers 8 x values at a time, two chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Dot(float* x, int* index, float* values, int count)
    {
        int e = 0;
        float sum = 0f;
        if (Avx2.IsSupported && Fma.IsSupported && count >= 8)
        {
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            for (; e + 16 <= count; e += 16)
            {
                var g0 = Avx2.GatherVector256(x, Avx.LoadVector256(index + e), 4);
                var g1 = Avx2.GatherVector256(x, Avx.LoadVector256(index + e + 8), 4);
                acc0 = Fma.MultiplyAdd(g0, Avx.LoadVector256(values + e), acc0);
                acc1 = Fma.MultiplyAdd(g1, Avx.LoadVector256(values + e + 8), acc1);
            }
            if (e + 8 <= count)
            {
                acc0 = Fma.MultiplyAdd(Avx2.GatherVector256(x, Avx.LoadVector256(index + e), 4), Avx.LoadVector256(values + e), acc0);
                e += 8;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; e < count; e++) sum += values[e] * x[index[e]];
        return sum;
    }

    /// <summary>
    /// The compressed form of a dense W [k, n] (row-major; with transposed, W is stored [n, k]) scaled by alpha: per
    /// column its nonzero values and their rows, in row order. What the generator embeds; public for tests and benchmarks.
    /// </summary>
    public static (int[] ColumnStart, int[] RowIndex, float[] Values) Compress(ReadOnlySpan<float> w, int k, int n, bool transposed = false, float alpha = 1f)
    {
        var start = new int[n + 1];
        int nonzeros = 0;
        for (int j = 0; j < n; j++)
        {
            for (int p = 0; p < k; p++)
                if (w[transposed ? j * k + p : p * n + j] != 0f) nonzeros++;
            start[j + 1] = nonzeros;
        }
        var rows = new int[nonzeros];
        var values = new float[nonzeros];
        int at = 0;
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++)
            {
                float v = w[transposed ? j * k + p : p * n + j];
                if (v == 0f) continue;
                rows[at] = p;
                values[at++] = alpha * v;
            }
        return (start, rows, values);
    }
}
