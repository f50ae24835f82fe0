// Comparisons, logical ops and Where, with numpy broadcasting. Bool tensors are one byte per element (0 or 1),
// as ONNX stores them. The broadcast walk is the same odometer as Elementwise.Binary: collapsed axes, and the
// innermost run handled in one tight loop (contiguous, scalar-broadcast or strided).
using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace EfficientAI.Runtime;

/// <summary>Element-wise comparisons with a bool result.</summary>
public enum CompareOp
{
    /// <summary>a == b (NaN is unequal to everything)</summary>
    Equal,
    /// <summary>a &lt; b</summary>
    Less,
    /// <summary>a &lt;= b</summary>
    LessOrEqual,
    /// <summary>a &gt; b</summary>
    Greater,
    /// <summary>a &gt;= b</summary>
    GreaterOrEqual,
}

/// <summary>Element-wise logical ops on bool tensors.</summary>
public enum LogicalOp
{
    /// <summary>a &amp;&amp; b</summary>
    And,
    /// <summary>a || b</summary>
    Or,
    /// <summary>a != b</summary>
    Xor,
}

/// <summary>Comparisons, logical ops and selection.</summary>
public static class Compare
{
    /// <summary>
    /// y = a op b with broadcasting: y has shape outShape; aStrides/bStrides give, per output axis, the element
    /// stride into a and b (0 on broadcast axes).
    /// </summary>
    public static void Binary<T>(CompareOp op, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<bool> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) where T : unmanaged, INumber<T>
    {
        switch (op)
        {
            case CompareOp.Equal: Broadcasting.Binary<T, bool, EqualOp<T>>(a, b, y, outShape, aStrides, bStrides); break;
            case CompareOp.Less: Broadcasting.Binary<T, bool, LessOp<T>>(a, b, y, outShape, aStrides, bStrides); break;
            case CompareOp.LessOrEqual: Broadcasting.Binary<T, bool, LessOrEqualOp<T>>(a, b, y, outShape, aStrides, bStrides); break;
            case CompareOp.Greater: Broadcasting.Binary<T, bool, LessOp<T>>(b, a, y, outShape, bStrides, aStrides); break;
            case CompareOp.GreaterOrEqual: Broadcasting.Binary<T, bool, LessOrEqualOp<T>>(b, a, y, outShape, bStrides, aStrides); break;
            default: ThrowHelper.Argument("Unknown CompareOp."); break;
        }
    }

    /// <summary>Bool version: Equal only (ONNX defines no ordering on bool).</summary>
    public static void Binary(CompareOp op, ReadOnlySpan<bool> a, ReadOnlySpan<bool> b, Span<bool> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides)
    {
        if (op != CompareOp.Equal) ThrowHelper.Argument("Only Equal is defined on bool.");
        Broadcasting.Binary<bool, bool, EqualBoolOp>(a, b, y, outShape, aStrides, bStrides);
    }

    /// <summary>y = a op b on bool tensors with broadcasting (strides as in <see cref="Binary{T}"/>).</summary>
    public static void Logical(LogicalOp op, ReadOnlySpan<bool> a, ReadOnlySpan<bool> b, Span<bool> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides)
    {
        switch (op)
        {
            case LogicalOp.And: Broadcasting.Binary<bool, bool, AndOp>(a, b, y, outShape, aStrides, bStrides); break;
            case LogicalOp.Or: Broadcasting.Binary<bool, bool, OrOp>(a, b, y, outShape, aStrides, bStrides); break;
            case LogicalOp.Xor: Broadcasting.Binary<bool, bool, XorOp>(a, b, y, outShape, aStrides, bStrides); break;
            default: ThrowHelper.Argument("Unknown LogicalOp."); break;
        }
    }

    /// <summary>y = !x; y may alias x.</summary>
    public static void Not(ReadOnlySpan<bool> x, Span<bool> y)
    {
        if (y.Length < x.Length) ThrowHelper.Argument("y is shorter than x.");
        for (int i = 0; i < x.Length; i++) y[i] = !x[i];
    }

    /// <summary>
    /// result = condition ? x : y with three-way broadcasting: result has shape outShape, and each input its
    /// strides per output axis (0 on broadcast axes).
    /// </summary>
    [SkipLocalsInit]
    public static void Where<T>(ReadOnlySpan<bool> condition, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> result,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> cStrides, ReadOnlySpan<int> xStrides, ReadOnlySpan<int> yStrides) where T : unmanaged
    {
        int rank = outShape.Length;
        if (cStrides.Length != rank || xStrides.Length != rank || yStrides.Length != rank) ThrowHelper.Argument("Stride and shape ranks differ.");
        Shapes.CheckRank(rank);
        long total = 1;
        for (int d = 0; d < rank; d++) total *= outShape[d];
        if (total == 0) return;
        if (result.Length < total) ThrowHelper.Argument("result is shorter than outShape.");
        if (rank == 0)
        {
            result[0] = condition[0] ? x[0] : y[0];
            return;
        }
        int inner = outShape[rank - 1], ic = cStrides[rank - 1], ix = xStrides[rank - 1], iy = yStrides[rank - 1];
        long outer = total / inner;
        Span<int> index = stackalloc int[Shapes.MaxRank];
        index.Slice(0, rank).Clear();
        int oc = 0, ox = 0, oy = 0;
        for (long o = 0; o < outer; o++)
        {
            Span<T> run = result.Slice((int)(o * inner), inner);
            if (ic == 1 && ix == 1 && iy == 1)
            {
                ReadOnlySpan<bool> c = condition.Slice(oc, inner);
                ReadOnlySpan<T> xs = x.Slice(ox, inner), ys = y.Slice(oy, inner);
                for (int i = 0; i < run.Length; i++) run[i] = c[i] ? xs[i] : ys[i];
            }
            else if (ic == 0)
            {
                // One condition for the whole run: a broadcast copy of x or y.
                if (condition[oc]) Run(x, ox, ix, run); else Run(y, oy, iy, run);
            }
            else
            {
                for (int i = 0; i < inner; i++) run[i] = condition[oc + i * ic] ? x[ox + i * ix] : y[oy + i * iy];
            }
            for (int d = rank - 2; d >= 0; d--)
            {
                oc += cStrides[d];
                ox += xStrides[d];
                oy += yStrides[d];
                if (++index[d] < outShape[d]) break;
                oc -= cStrides[d] * outShape[d];
                ox -= xStrides[d] * outShape[d];
                oy -= yStrides[d] * outShape[d];
                index[d] = 0;
            }
        }
    }

    private static void Run<T>(ReadOnlySpan<T> src, int offset, int stride, Span<T> dst) where T : unmanaged
    {
        if (stride == 1) src.Slice(offset, dst.Length).CopyTo(dst);
        else if (stride == 0) dst.Fill(src[offset]);
        else for (int i = 0; i < dst.Length; i++) dst[i] = src[offset + i * stride];
    }

    private struct EqualOp<T> : IBroadcastKernel<T, bool> where T : INumber<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Apply(T a, T b) => a == b;
    }

    private struct LessOp<T> : IBroadcastKernel<T, bool> where T : INumber<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Apply(T a, T b) => a < b;
    }

    private struct LessOrEqualOp<T> : IBroadcastKernel<T, bool> where T : INumber<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Apply(T a, T b) => a <= b;
    }

    private struct EqualBoolOp : IBroadcastKernel<bool, bool>
    {
        public static bool Apply(bool a, bool b) => a == b;
    }

    private struct AndOp : IBroadcastKernel<bool, bool>
    {
        public static bool Apply(bool a, bool b) => a & b;
    }

    private struct OrOp : IBroadcastKernel<bool, bool>
    {
        public static bool Apply(bool a, bool b) => a | b;
    }

    private struct XorOp : IBroadcastKernel<bool, bool>
    {
        public static bool Apply(bool a, bool b) => a ^ b;
    }
}
