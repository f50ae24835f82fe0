// The broadcast walk shared by the kernels outside Elementwise (comparisons, logical ops, PRelu, remainders):
// collapsed axes, an odometer over the outer axes, and the innermost run as one tight loop (contiguous,
// scalar-broadcast or strided). The op is a struct type argument, so each instantiation is specialized.
using System;
using System.Runtime.CompilerServices;

namespace EfficientAI.Runtime;

/// <summary>y = op(a, b) element-wise.</summary>
internal interface IBroadcastKernel<T, TOut>
{
    static abstract TOut Apply(T a, T b);
}

internal static class Broadcasting
{
    /// <summary>y = TOp(a, b) with y of shape outShape and per-output-axis strides of a and b (0 on broadcast axes).</summary>
    [SkipLocalsInit]
    public static void Binary<T, TOut, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<TOut> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides)
        where T : unmanaged where TOut : unmanaged where TOp : struct, IBroadcastKernel<T, TOut>
    {
        int rank = outShape.Length;
        if (aStrides.Length != rank || bStrides.Length != rank) ThrowHelper.Argument("Stride and shape ranks differ.");
        Shapes.CheckRank(rank);
        Span<int> shape = stackalloc int[Shapes.MaxRank];
        Span<int> sa = stackalloc int[Shapes.MaxRank];
        Span<int> sb = stackalloc int[Shapes.MaxRank];
        int r = Shapes.Collapse(outShape, aStrides, bStrides, shape, sa, sb, out long total);
        if (total == 0) return;
        if (y.Length < total) ThrowHelper.Argument("y is shorter than outShape.");
        if (r == 0)
        {
            y[0] = TOp.Apply(a[0], b[0]);
            return;
        }
        int inner = shape[r - 1], innerA = sa[r - 1], innerB = sb[r - 1];
        long outer = total / inner;
        Span<int> index = stackalloc int[Shapes.MaxRank];
        index.Slice(0, r).Clear();
        int offA = 0, offB = 0;
        for (long o = 0; o < outer; o++)
        {
            Span<TOut> run = y.Slice((int)(o * inner), inner);
            if (innerA == 1 && innerB == 1)
            {
                ReadOnlySpan<T> ra = a.Slice(offA, inner), rb = b.Slice(offB, inner);
                for (int i = 0; i < run.Length; i++) run[i] = TOp.Apply(ra[i], rb[i]);
            }
            else if (innerA == 1 && innerB == 0)
            {
                ReadOnlySpan<T> ra = a.Slice(offA, inner);
                T vb = b[offB];
                for (int i = 0; i < run.Length; i++) run[i] = TOp.Apply(ra[i], vb);
            }
            else if (innerA == 0 && innerB == 1)
            {
                ReadOnlySpan<T> rb = b.Slice(offB, inner);
                T va = a[offA];
                for (int i = 0; i < run.Length; i++) run[i] = TOp.Apply(va, rb[i]);
            }
            else
            {
                for (int i = 0; i < inner; i++) run[i] = TOp.Apply(a[offA + i * innerA], b[offB + i * innerB]);
            }
            Shapes.StepOuter(r, shape, sa, sb, index, ref offA, ref offB);
        }
    }
}
