// Index-producing and index-consuming kernels: ArgMax/ArgMin, CumSum, GatherElements. Tensors are viewed as
// [outer, axis, inner] around the op's axis so every kernel is three plain loops.
using System;
using System.Numerics;

namespace EfficientAI.Runtime;

/// <summary>Kernels that produce or consume element indices.</summary>
public static class Indexing
{
    /// <summary>
    /// y[o, i] = the index along the middle axis of the largest (max) or smallest value of x viewed as [outer, axis, inner];
    /// ties take the first index, or the last with selectLast. A NaN wins, as in ONNX Runtime.
    /// </summary>
    public static void ArgReduce<T>(ReadOnlySpan<T> x, Span<long> y, int outer, int axis, int inner, bool max, bool selectLast)
        where T : unmanaged, INumber<T>
    {
        if (axis <= 0) ThrowHelper.Argument("The reduced axis is empty.");
        if (x.Length < outer * axis * inner || y.Length < outer * inner) ThrowHelper.Argument("A span is shorter than its shape.");
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int baseIndex = o * axis * inner + i;
                T best = x[baseIndex];
                int at = 0;
                for (int a = 1; a < axis && !T.IsNaN(best); a++)
                {
                    T v = x[baseIndex + a * inner];
                    bool better = T.IsNaN(v) || (max ? (selectLast ? v >= best : v > best) : (selectLast ? v <= best : v < best));
                    if (better) { best = v; at = a; }
                }
                y[o * inner + i] = at;
            }
        }
    }

    /// <summary>Cumulative sum along the middle axis of [outer, axis, inner]; exclusive starts from 0, reverse runs backwards. y must not alias x.</summary>
    public static void CumSum<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int axis, int inner, bool exclusive, bool reverse)
        where T : unmanaged, INumber<T>
    {
        int block = axis * inner;
        if (x.Length < outer * block || y.Length < outer * block) ThrowHelper.Argument("A span is shorter than its shape.");
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                T sum = T.Zero;
                for (int step = 0; step < axis; step++)
                {
                    int a = reverse ? axis - 1 - step : step;
                    int at = o * block + a * inner + i;
                    if (exclusive) { y[at] = sum; sum += x[at]; }
                    else { sum += x[at]; y[at] = sum; }
                }
            }
        }
    }

    /// <summary>
    /// GatherElements: y (shape of indices, viewed as [outer, count, inner] around axis) takes
    /// y[o, j, i] = x[o, indices[o, j, i], i] with x viewed as [outer, axis, inner]; negative indices count from the end.
    /// </summary>
    public static void GatherElements<T, TIndex>(ReadOnlySpan<T> x, ReadOnlySpan<TIndex> indices, Span<T> y, int outer, int axis, int inner,
        int count) where T : unmanaged where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        if (x.Length < outer * axis * inner || indices.Length < outer * count * inner || y.Length < outer * count * inner)
            ThrowHelper.Argument("A span is shorter than its shape.");
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < count; j++)
            {
                int row = (o * count + j) * inner;
                for (int i = 0; i < inner; i++)
                {
                    long k = long.CreateTruncating(indices[row + i]);
                    if (k < 0) k += axis;
                    if ((ulong)k >= (ulong)axis) throw new IndexOutOfRangeException("GatherElements index out of range.");
                    y[row + i] = x[(o * axis + (int)k) * inner + i];
                }
            }
        }
    }
}
