// Shape bookkeeping shared by the strided kernels: merging axes so the innermost run is as long as possible.
using System;

namespace EfficientAI.Runtime;

internal static class Shapes
{
    /// <summary>Largest rank the strided kernels accept (index scratch lives on the stack).</summary>
    public const int MaxRank = 32;

    public static void CheckRank(int rank)
    {
        if (rank > MaxRank) ThrowHelper.Argument("Tensor rank exceeds the supported maximum of 32.");
    }

    /// <summary>
    /// Drops size-1 axes and merges neighbours whose strides chain (outer stride == inner stride * inner size)
    /// for both stride sets. Returns the collapsed rank; total receives the element count.
    /// </summary>
    public static int Collapse(ReadOnlySpan<int> shape, ReadOnlySpan<int> stridesA, ReadOnlySpan<int> stridesB,
        Span<int> outShape, Span<int> outA, Span<int> outB, out long total)
    {
        int r = 0;
        total = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            int s = shape[d];
            total *= s;
            if (s == 1) continue;
            if (r > 0 && outA[r - 1] == stridesA[d] * s && outB[r - 1] == stridesB[d] * s)
            {
                outShape[r - 1] *= s;
                outA[r - 1] = stridesA[d];
                outB[r - 1] = stridesB[d];
            }
            else
            {
                outShape[r] = s;
                outA[r] = stridesA[d];
                outB[r] = stridesB[d];
                r++;
            }
        }
        return r;
    }

    /// <summary>Single-stride-set version of <see cref="Collapse(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{int}, Span{int}, Span{int}, out long)"/> (the output side is contiguous).</summary>
    public static int Collapse(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, Span<int> outShape, Span<int> outStrides, out long total)
    {
        int r = 0;
        total = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            int s = shape[d];
            total *= s;
            if (s == 1) continue;
            if (r > 0 && outStrides[r - 1] == strides[d] * s)
            {
                outShape[r - 1] *= s;
                outStrides[r - 1] = strides[d];
            }
            else
            {
                outShape[r] = s;
                outStrides[r] = strides[d];
                r++;
            }
        }
        return r;
    }

    /// <summary>Row-major (contiguous) strides of shape.</summary>
    public static void ContiguousStrides(ReadOnlySpan<int> shape, Span<int> strides)
    {
        int s = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = s;
            s *= shape[d];
        }
    }

    /// <summary>
    /// Advances the odometer over the outer axes (all but the innermost, r - 1) of a two-operand broadcast walk,
    /// keeping the element offsets of a and b in step.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static void StepOuter(int r, ReadOnlySpan<int> shape, ReadOnlySpan<int> sa, ReadOnlySpan<int> sb, Span<int> index, ref int offA, ref int offB)
    {
        for (int d = r - 2; d >= 0; d--)
        {
            offA += sa[d];
            offB += sb[d];
            if (++index[d] < shape[d]) return;
            offA -= sa[d] * shape[d];
            offB -= sb[d] * shape[d];
            index[d] = 0;
        }
    }
}
