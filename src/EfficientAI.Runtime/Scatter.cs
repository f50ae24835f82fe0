// Selection and scatter kernels: TopK, GatherND, ScatterND, ScatterElements, OneHot. None allocates: TopK keeps its
// running best k directly in the output spans (insertion, O(axis * k), the common small-k case).
using System;
using System.Numerics;

namespace EfficientAI.Runtime;

/// <summary>How scatter kernels combine an update with the existing element.</summary>
public enum ScatterReduction
{
    /// <summary>overwrite</summary>
    None,
    /// <summary>existing + update</summary>
    Add,
    /// <summary>existing * update</summary>
    Mul,
    /// <summary>max(existing, update)</summary>
    Max,
    /// <summary>min(existing, update)</summary>
    Min,
}

/// <summary>Selection and scatter kernels.</summary>
public static class Scatter
{
    /// <summary>
    /// TopK along the middle axis of x viewed as [outer, axis, inner]: values and indices are [outer, k, inner], sorted
    /// best first; equal values keep their input order (the lower index first).
    /// </summary>
    public static void TopK<T>(ReadOnlySpan<T> x, Span<T> values, Span<long> indices, int outer, int axis, int inner, int k, bool largest)
        where T : unmanaged, INumber<T>
    {
        if (k < 0 || k > axis) ThrowHelper.Argument("k must be between 0 and the axis size.");
        if (x.Length < outer * axis * inner || values.Length < outer * k * inner || indices.Length < outer * k * inner)
            ThrowHelper.Argument("A span is shorter than its shape.");
        if (k == 0) return;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int src = o * axis * inner + i, dst = o * k * inner + i;
                int count = 0;
                for (int a = 0; a < axis; a++)
                {
                    T v = x[src + a * inner];
                    // Position of v among the kept ones: after every kept value at least as good.
                    int pos = count;
                    while (pos > 0 && Better(v, values[dst + (pos - 1) * inner], largest)) pos--;
                    if (pos >= k) continue;
                    for (int s = Math.Min(count, k - 1); s > pos; s--)
                    {
                        values[dst + s * inner] = values[dst + (s - 1) * inner];
                        indices[dst + s * inner] = indices[dst + (s - 1) * inner];
                    }
                    values[dst + pos * inner] = v;
                    indices[dst + pos * inner] = a;
                    if (count < k) count++;
                }
            }
        }
    }

    private static bool Better<T>(T v, T than, bool largest) where T : INumber<T> => largest ? v > than : v < than;

    /// <summary>
    /// GatherND: data viewed as [batch, dims..., slice] and indices as [batch, n, dims.Length]; y[b, j] is the slice at
    /// data[b, indices[b, j, 0], ..., indices[b, j, m - 1]] (negative indices count from the end).
    /// </summary>
    public static void GatherND<T, TIndex>(ReadOnlySpan<T> data, ReadOnlySpan<TIndex> indices, Span<T> y, int batch, int n,
        ReadOnlySpan<int> dims, int slice) where T : unmanaged where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        int m = dims.Length;
        long block = slice;
        foreach (int d in dims) block *= d;
        if (data.Length < batch * block || indices.Length < batch * n * m || y.Length < (long)batch * n * slice)
            ThrowHelper.Argument("A span is shorter than its shape.");
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < n; j++)
            {
                long offset = Offset(indices.Slice((b * n + j) * m, m), dims, slice);
                data.Slice((int)(b * block + offset), slice).CopyTo(y.Slice((b * n + j) * slice, slice));
            }
        }
    }

    /// <summary>
    /// ScatterND: y = data, then for each of the n index tuples (indices [n, dims.Length]) the slice of updates
    /// ([n, slice]) is combined into y[tuple] by reduction. y may alias data.
    /// </summary>
    public static void ScatterND<T, TIndex>(ReadOnlySpan<T> data, ReadOnlySpan<TIndex> indices, ReadOnlySpan<T> updates, Span<T> y, int n,
        ReadOnlySpan<int> dims, int slice, ScatterReduction reduction) where T : unmanaged, INumber<T> where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        int m = dims.Length;
        long total = slice;
        foreach (int d in dims) total *= d;
        if (data.Length < total || y.Length < total || indices.Length < n * m || updates.Length < (long)n * slice)
            ThrowHelper.Argument("A span is shorter than its shape.");
        if (!data.Overlaps(y)) data.Slice(0, (int)total).CopyTo(y);
        for (int j = 0; j < n; j++)
        {
            int offset = (int)Offset(indices.Slice(j * m, m), dims, slice);
            Combine(updates.Slice(j * slice, slice), y.Slice(offset, slice), reduction);
        }
    }

    /// <summary>
    /// ScatterElements: y = data, then each element of updates (shape indicesShape, like indices) goes to y at its own
    /// coordinates with the axis coordinate replaced by its index. dataStrides are the row-major strides of data.
    /// y may alias data.
    /// </summary>
    public static void ScatterElements<T, TIndex>(ReadOnlySpan<T> data, ReadOnlySpan<TIndex> indices, ReadOnlySpan<T> updates, Span<T> y,
        ReadOnlySpan<int> indicesShape, ReadOnlySpan<int> dataStrides, int axis, int axisSize, ScatterReduction reduction)
        where T : unmanaged, INumber<T> where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        int rank = indicesShape.Length;
        if (dataStrides.Length != rank || axis < 0 || axis >= rank) ThrowHelper.Argument("Shape parameters do not match.");
        Shapes.CheckRank(rank);
        long count = 1;
        foreach (int d in indicesShape) count *= d;
        if (y.Length < data.Length) ThrowHelper.Argument("y is shorter than data.");
        if (!data.Overlaps(y)) data.CopyTo(y);
        if (indices.Length < count || updates.Length < count) ThrowHelper.Argument("A span is shorter than its shape.");
        Span<int> index = stackalloc int[Shapes.MaxRank];
        index.Slice(0, rank).Clear();
        int baseOffset = 0; // data offset of the current coordinates without the axis term
        for (long e = 0; e < count; e++)
        {
            long k = long.CreateTruncating(indices[(int)e]);
            if (k < 0) k += axisSize;
            if ((ulong)k >= (ulong)axisSize) throw new IndexOutOfRangeException("ScatterElements index out of range.");
            int at = baseOffset + (int)k * dataStrides[axis];
            y[at] = Reduce(y[at], updates[(int)e], reduction);
            for (int d = rank - 1; d >= 0; d--)
            {
                if (d != axis) baseOffset += dataStrides[d];
                if (++index[d] < indicesShape[d]) break;
                if (d != axis) baseOffset -= dataStrides[d] * indicesShape[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>
    /// OneHot: y viewed as [outer, depth, inner] is off everywhere except y[o, indices[o, i], i] = on, with indices
    /// [outer, inner] (negative ones count from depth; out-of-range ones select nothing).
    /// </summary>
    public static void OneHot<TIndex, T>(ReadOnlySpan<TIndex> indices, T off, T on, Span<T> y, int outer, int depth, int inner)
        where TIndex : unmanaged, INumberBase<TIndex> where T : unmanaged
    {
        if (indices.Length < outer * inner || y.Length < (long)outer * depth * inner) ThrowHelper.Argument("A span is shorter than its shape.");
        y.Slice(0, outer * depth * inner).Fill(off);
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                double raw = double.CreateTruncating(indices[o * inner + i]);
                long k = (long)Math.Truncate(raw);
                if (k < 0) k += depth;
                if ((ulong)k < (ulong)depth) y[(o * depth + (int)k) * inner + i] = on;
            }
        }
    }

    private static long Offset<TIndex>(ReadOnlySpan<TIndex> tuple, ReadOnlySpan<int> dims, int slice) where TIndex : IBinaryInteger<TIndex>
    {
        long offset = 0;
        for (int d = 0; d < dims.Length; d++)
        {
            long k = long.CreateTruncating(tuple[d]);
            if (k < 0) k += dims[d];
            if ((ulong)k >= (ulong)dims[d]) throw new IndexOutOfRangeException("Index out of range.");
            offset = offset * dims[d] + k;
        }
        return offset * slice;
    }

    private static void Combine<T>(ReadOnlySpan<T> update, Span<T> target, ScatterReduction reduction) where T : INumber<T>
    {
        if (reduction == ScatterReduction.None) { update.CopyTo(target); return; }
        for (int i = 0; i < target.Length; i++) target[i] = Reduce(target[i], update[i], reduction);
    }

    private static T Reduce<T>(T existing, T update, ScatterReduction reduction) where T : INumber<T> => reduction switch
    {
        ScatterReduction.Add => existing + update,
        ScatterReduction.Mul => existing * update,
        ScatterReduction.Max => T.Max(existing, update),
        ScatterReduction.Min => T.Min(existing, update),
        _ => update,
    };
}
