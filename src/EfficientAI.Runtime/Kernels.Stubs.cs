// SIGNATURES ONLY. The kernel engineer replaces each stub with a real implementation in its own file
// (Gemm.cs, Conv.cs, ...) and deletes this file. Signatures may gain parameters only by agreement.
using System;
using NIE = System.NotImplementedException;

namespace EfficientAI.Runtime;

/// <summary>Dense matrix products.</summary>
public static class Gemm
{
    /// <summary>
    /// y[m,n] = alpha * sum_k op(a)[m,k] * op(b)[k,n] + beta * c, where op(a) is a ([m,k]) or, with
    /// transA, the transpose of a stored as [k,m]; likewise b ([k,n], or [n,k] with transB).
    /// c has shape [cRows, cCols] with cRows in {1, m} and cCols in {1, n} (broadcast), or is empty.
    /// y must not overlap a, b or c.
    /// </summary>
    public static void Compute(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> y,
        int m, int n, int k, bool transA, bool transB, float alpha, float beta, int cRows, int cCols) => throw new NIE();

    /// <summary>
    /// Batched matrix product: for each i, y[i*m*n ..] ([m,n]) = a[aOffsets[i] ..] ([m,k]) * b[bOffsets[i] ..] ([k,n]).
    /// The number of batches is aOffsets.Length (== bOffsets.Length).
    /// </summary>
    public static void MatMulBatched(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y,
        int m, int n, int k, ReadOnlySpan<int> aOffsets, ReadOnlySpan<int> bOffsets) => throw new NIE();
}

/// <summary>Convolution.</summary>
public static class Conv
{
    /// <summary>
    /// 2-D convolution (1-D callers pass h = kH = oH = 1). x [n, c, h, w]; weight [m, c/group, kH, kW];
    /// bias [m] or empty; y [n, m, oH, oW]. Padding given as top/left offsets; the output size already
    /// accounts for bottom/right padding. Out-of-range input positions read as zero.
    /// </summary>
    public static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int group) => throw new NIE();
}

/// <summary>Pooling.</summary>
public static class Pool
{
    /// <summary>2-D max pooling over x [nc, h, w] (batch and channels flattened into nc) into y [nc, oH, oW]. Padded positions are ignored.</summary>
    public static void MaxPool2D(ReadOnlySpan<float> x, Span<float> y, int nc, int h, int w, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW) => throw new NIE();

    /// <summary>
    /// 2-D average pooling. Without countIncludePad the divisor is the number of in-range input positions of the
    /// window; with it, the number of positions inside the padded input [-padTop, h + padBottom) x [-padLeft, w + padRight).
    /// </summary>
    public static void AveragePool2D(ReadOnlySpan<float> x, Span<float> y, int nc, int h, int w, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight, bool countIncludePad) => throw new NIE();

    /// <summary>y[i] = mean of x[i*spatial .. (i+1)*spatial).</summary>
    public static void GlobalAveragePool(ReadOnlySpan<float> x, Span<float> y, int nc, int spatial) => throw new NIE();

    /// <summary>y[i] = max of x[i*spatial .. (i+1)*spatial).</summary>
    public static void GlobalMaxPool(ReadOnlySpan<float> x, Span<float> y, int nc, int spatial) => throw new NIE();
}

/// <summary>Element-wise operations.</summary>
public static class Elementwise
{
    /// <summary>
    /// y = a op b with broadcasting: y has shape outShape (row-major); aStrides/bStrides give, per output axis,
    /// the element stride into a and b (0 on broadcast axes). y may alias a or b when it has the same shape as that input.
    /// </summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) => throw new NIE();

    /// <summary>Int64 version of <see cref="Binary(BinaryOp, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int})"/>.</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<long> a, ReadOnlySpan<long> b, Span<long> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) => throw new NIE();

    /// <summary>Int32 version.</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) => throw new NIE();

    /// <summary>y = op(x) element by element; y may alias x.</summary>
    public static void Unary(UnaryOp op, ReadOnlySpan<float> x, Span<float> y, float alpha, float beta) => throw new NIE();

    /// <summary>y[i] = x[i] * scale[ch] + bias[ch] with ch = (i / spatial) % channels (BatchNormalization folded at compile time).</summary>
    public static void ChannelAffine(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, Span<float> y,
        int batch, int channels, int spatial) => throw new NIE();
}

/// <summary>Normalizations and softmax.</summary>
public static class Normalization
{
    /// <summary>Softmax over the middle axis of x viewed as [outer, axis, inner]; with log, LogSoftmax.</summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner, bool log) => throw new NIE();
}

/// <summary>Reductions.</summary>
public static class Reduce
{
    /// <summary>
    /// Reduces x of shape inShape over the axes flagged non-zero in reduceAxes (one flag per axis) into y,
    /// whose element count is the product of the kept dims (keepdims does not change the layout).
    /// </summary>
    public static void Compute(ReduceOp op, ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> inShape, ReadOnlySpan<int> reduceAxes) => throw new NIE();
}

/// <summary>Data movement: transpose, copy, pad, slice.</summary>
public static class Layout
{
    /// <summary>y = transpose(x, perm), x of shape inShape.</summary>
    public static void Transpose<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> inShape, ReadOnlySpan<int> perm) where T : unmanaged => throw new NIE();

    /// <summary>Copies rows rows of rowLength elements from src (row stride srcStride, starting at srcOffset) to dst (row stride dstStride, from dstOffset). Serves Concat and Split.</summary>
    public static void CopyRows<T>(ReadOnlySpan<T> src, int srcOffset, int srcStride, Span<T> dst, int dstOffset, int dstStride, int rows, int rowLength) where T : unmanaged => throw new NIE();

    /// <summary>Pads x of shape inShape by pads (begin for every axis, then end for every axis; negative values crop).</summary>
    public static void Pad<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> inShape, ReadOnlySpan<int> pads, PadMode mode, T value) where T : unmanaged => throw new NIE();

    /// <summary>Strided slice: y[i0, i1, ...] = x[starts[0] + i0*steps[0], ...] with y of shape outShape; steps may be negative.</summary>
    public static void Slice<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> inShape, ReadOnlySpan<int> starts, ReadOnlySpan<int> steps, ReadOnlySpan<int> outShape) where T : unmanaged => throw new NIE();

    /// <summary>Broadcasts x (its strides per output axis, 0 on broadcast axes) to y of shape outShape. Serves Expand and Tile-like copies.</summary>
    public static void Broadcast<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> outShape, ReadOnlySpan<int> xStrides) where T : unmanaged => throw new NIE();
}
