// Einsum. The generator resolves the equation at compile time into an index space (output axes first, then the
// summed axes) and per-operand strides over it (0 where an operand lacks the index or broadcasts it, summed strides
// on a diagonal). Products that are batched matrix products run on the GEMM kernels instead.
using System;
using System.Numerics;

namespace EfficientAI.Runtime;

/// <summary>Einstein summation over one or two operands.</summary>
public static class Einsum
{
    /// <summary>
    /// y[o] = sum over the summed indices of a[offset_a] (* b[offset_b]), where the index space has the given sizes
    /// (the first outputRank are y's axes in order, the rest are summed) and each operand's offset is the dot product
    /// of the index with its strides. b and bStrides are empty for one operand.
    /// </summary>
    public static void Contract<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, ReadOnlySpan<int> sizes,
        ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides, int outputRank) where T : unmanaged, INumber<T>
    {
        int rank = sizes.Length;
        Shapes.CheckRank(rank);
        bool binary = !bStrides.IsEmpty;
        if (aStrides.Length != rank || (binary && bStrides.Length != rank) || outputRank < 0 || outputRank > rank)
            ThrowHelper.Argument("strides need one entry per index.");
        long outputs = 1, summed = 1;
        for (int d = 0; d < rank; d++)
        {
            if (d < outputRank) outputs *= sizes[d];
            else summed *= sizes[d];
        }
        if (y.Length != outputs) ThrowHelper.Argument("y does not match the output axes.");
        long aLast = 0, bLast = 0;
        for (int d = 0; d < rank; d++)
        {
            if (sizes[d] == 0) { y.Clear(); return; }
            aLast += (long)(sizes[d] - 1) * aStrides[d];
            if (binary) bLast += (long)(sizes[d] - 1) * bStrides[d];
        }
        if (aLast >= a.Length || (binary && bLast >= b.Length)) ThrowHelper.Argument("an operand is too short for its strides.");

        Span<int> index = stackalloc int[Shapes.MaxRank];
        index.Clear();
        int offA = 0, offB = 0;
        for (long o = 0; o < outputs; o++)
        {
            T sum = T.Zero;
            for (long s = 0; s < summed; s++)
            {
                sum += binary ? a[offA] * b[offB] : a[offA];
                // Odometer over the summed axes; it wraps back to their start after the last one.
                for (int d = rank - 1; d >= outputRank; d--)
                {
                    offA += aStrides[d];
                    if (binary) offB += bStrides[d];
                    if (++index[d] < sizes[d]) break;
                    offA -= aStrides[d] * sizes[d];
                    if (binary) offB -= bStrides[d] * sizes[d];
                    index[d] = 0;
                }
            }
            y[(int)o] = sum;
            for (int d = outputRank - 1; d >= 0; d--)
            {
                offA += aStrides[d];
                if (binary) offB += bStrides[d];
                if (++index[d] < sizes[d]) break;
                offA -= aStrides[d] * sizes[d];
                if (binary) offB -= bStrides[d] * sizes[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>
    /// Batched matrix product for equations of that form: for each of <paramref name="batch"/> batches,
    /// y[i] ([m, n]) = op(a[i]) * op(b[i]) with a[i] [m, k] (or [k, m] with transA) and b[i] [k, n] (or [n, k] with transB).
    /// </summary>
    public static void BatchedGemm(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int batch, int m, int n, int k, bool transA, bool transB)
    {
        if (a.Length != batch * m * k || b.Length != batch * k * n || y.Length != batch * m * n) ThrowHelper.Argument("operands do not match the shapes.");
        for (int i = 0; i < batch; i++)
            Gemm.Compute(a.Slice(i * m * k, m * k), b.Slice(i * k * n, k * n), default, y.Slice(i * m * n, m * n), m, n, k, transA, transB, 1f, 0f, 0, 0);
    }
}
