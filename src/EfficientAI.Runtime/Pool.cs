// Pooling. Window ranges are clipped to the input per output position, so padding never needs a buffer.
// With unit column stride, a whole output row is reduced from shifted input row slices with vector ops.
using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

/// <summary>Pooling.</summary>
public static class Pool
{
    // Input rows up to this many floats get their column maxima on the stack (16 KB).
    private const int MaxStackRow = 4096;

    /// <summary>2-D max pooling over x [nc, h, w] (batch and channels flattened into nc) into y [nc, oH, oW]. Padded positions are ignored.</summary>
    [SkipLocalsInit]
    public static void MaxPool2D(ReadOnlySpan<float> x, Span<float> y, int nc, int h, int w, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW)
    {
        int inPlane = h * w, outPlane = oH * oW;
        if (x.Length < nc * inPlane || y.Length < nc * outPlane) ThrowHelper.Argument("A span is shorter than its shape.");
        if (kH == 2 && kW == 2 && strideH == 2 && strideW == 2 && padTop == 0 && padLeft == 0 && dilationH == 1 && dilationW == 1
            && 2 * oH <= h && 2 * oW <= w && Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
        {
            MaxPool2x2(x, y, nc, h, w, oH, oW);
            return;
        }
        if (strideW == 2 && dilationW == 1 && Avx512F.IsSupported && Vector512.IsHardwareAccelerated && padLeft >= 0 && padLeft < kW
            && StridedRowFloats(kW, oW) <= MaxStackRow)
        {
            MaxPoolStride2(x, y, nc, h, w, kH, kW, oH, oW, strideH, padTop, padLeft, dilationH);
            return;
        }
        Span<float> columns = strideW > 1 && dilationW == 1 && w <= MaxStackRow ? stackalloc float[w] : default;
        for (int plane = 0; plane < nc; plane++)
        {
            ReadOnlySpan<float> xp = x.Slice(plane * inPlane, inPlane);
            Span<float> yp = y.Slice(plane * outPlane, outPlane);
            for (int oh = 0; oh < oH; oh++)
            {
                Span<float> yRow = yp.Slice(oh * oW, oW);
                int top = oh * strideH - padTop;
                int khFirst = Conv.FirstValid(top, dilationH), khEnd = Conv.EndValid(top, dilationH, h, kH);
                if (strideW == 1)
                {
                    yRow.Fill(float.NegativeInfinity);
                    for (int kh = khFirst; kh < khEnd; kh++)
                    {
                        ReadOnlySpan<float> xRow = xp.Slice((top + kh * dilationH) * w, w);
                        for (int kw = 0; kw < kW; kw++)
                        {
                            int offset = kw * dilationW - padLeft;
                            int first = Conv.FirstValid(offset, 1), end = Conv.EndValid(offset, 1, w, oW);
                            if (first >= end) continue;
                            Span<float> dst = yRow.Slice(first, end - first);
                            TensorPrimitives.Max(dst, xRow.Slice(first + offset, end - first), dst);
                        }
                    }
                    continue;
                }
                if (!columns.IsEmpty && khEnd > khFirst)
                {
                    // Strided windows: the column maxima of the window's rows first (vectorized over the whole input
                    // row), then each output takes the maximum of its kW neighbouring column maxima.
                    xp.Slice((top + khFirst * dilationH) * w, w).CopyTo(columns);
                    for (int kh = khFirst + 1; kh < khEnd; kh++) TensorPrimitives.Max(columns, xp.Slice((top + kh * dilationH) * w, w), columns);
                    for (int ow = 0; ow < oW; ow++)
                    {
                        int left = ow * strideW - padLeft;
                        int kwFirst = Math.Max(0, -left), kwEnd = Math.Min(kW, w - left);
                        float max = float.NegativeInfinity;
                        for (int kw = kwFirst; kw < kwEnd; kw++) max = Math.Max(max, columns[left + kw]);
                        yRow[ow] = max;
                    }
                    continue;
                }
                for (int ow = 0; ow < oW; ow++)
                {
                    int left = ow * strideW - padLeft;
                    int kwFirst = Conv.FirstValid(left, dilationW), kwEnd = Conv.EndValid(left, dilationW, w, kW);
                    float max = float.NegativeInfinity;
                    for (int kh = khFirst; kh < khEnd; kh++)
                    {
                        int rowBase = (top + kh * dilationH) * w + left;
                        for (int kw = kwFirst; kw < kwEnd; kw++)
                        {
                            float v = xp[rowBase + kw * dilationW];
                            if (v > max || float.IsNaN(v)) max = v;
                        }
                    }
                    yRow[ow] = max;
                }
            }
        }
    }

    /// <summary>
    /// 2x2 windows, stride 2, every window inside the input (BlazeFace's and most CNNs' downsampling): per pair of input
    /// rows, 32 columns' vertical maxima in two vectors, then even and odd columns separated by one two-source permute
    /// each and compared: 16 outputs per step, where the strided path above reduced each output's window in scalar code.
    /// </summary>
    private static unsafe void MaxPool2x2(ReadOnlySpan<float> x, Span<float> y, int nc, int h, int w, int oH, int oW)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        fixed (float* px = x, py = y)
        {
            for (int plane = 0; plane < nc; plane++)
            {
                int oh = 0;
                if (w == 16 && oW == 8)
                {
                    // Rows of 16 (8 outputs): two output rows per step, their outputs contiguous in y.
                    for (; oh + 2 <= oH; oh += 2)
                    {
                        float* r = px + (nint)plane * h * w + (nint)2 * oh * w;
                        var lo = MaxNaN(Vector512.Load(r), Vector512.Load(r + 16));
                        var hi = MaxNaN(Vector512.Load(r + 32), Vector512.Load(r + 48));
                        MaxNaN(Avx512F.PermuteVar16x32x2(lo, even, hi), Avx512F.PermuteVar16x32x2(lo, odd, hi)).Store(py + ((nint)plane * oH + oh) * oW);
                    }
                }
                for (; oh < oH; oh++)
                {
                    float* r0 = px + (nint)plane * h * w + (nint)2 * oh * w, r1 = r0 + w, yr = py + ((nint)plane * oH + oh) * oW;
                    int ow = 0;
                    for (; ow + 16 <= oW; ow += 16)
                    {
                        var lo = MaxNaN(Vector512.Load(r0 + 2 * ow), Vector512.Load(r1 + 2 * ow));
                        var hi = MaxNaN(Vector512.Load(r0 + 2 * ow + 16), Vector512.Load(r1 + 2 * ow + 16));
                        MaxNaN(Avx512F.PermuteVar16x32x2(lo, even, hi), Avx512F.PermuteVar16x32x2(lo, odd, hi)).Store(yr + ow);
                    }
                    for (; ow < oW; ow++) yr[ow] = MaxNaN(MaxNaN(r0[2 * ow], r0[2 * ow + 1]), MaxNaN(r1[2 * ow], r1[2 * ow + 1]));
                }
            }
        }
    }

    /// <summary>Floats of MaxPoolStride2's padded row of column maxima: every load of its last (partial) 16-output step stays inside.</summary>
    private static int StridedRowFloats(int kW, int oW) => 2 * ((oW + 15) / 16 * 16) + kW + 16;

    /// <summary>
    /// Windows of any height and width with column stride 2 (ResNet's 3x3 stride 2 pad 1 on 112x112): per output row
    /// the column maxima of the window's rows go into a row buffer with the left and right padding as -inf, then 16
    /// outputs per step take, per kw, the even lanes of two loads at 2 ow + kw (one two-source permute) and their
    /// maximum. Where the path above took each output's maximum over its kW column maxima in scalar code.
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void MaxPoolStride2(ReadOnlySpan<float> x, Span<float> y, int nc, int h, int w, int kH, int kW, int oH, int oW,
        int strideH, int padTop, int padLeft, int dilationH)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var minusInfinity = Vector512.Create(float.NegativeInfinity);
        int length = StridedRowFloats(kW, oW);
        // Input columns an output reads: those past the last window are left out of the buffer.
        int count = Math.Min(w, length - padLeft);
        float* row = stackalloc float[length];
        float* last = stackalloc float[16];
        new Span<float>(row, length).Fill(float.NegativeInfinity);
        fixed (float* px = x, py = y)
        {
            for (int plane = 0; plane < nc; plane++)
            {
                float* xp = px + (nint)plane * h * w;
                for (int oh = 0; oh < oH; oh++)
                {
                    float* yRow = py + ((nint)plane * oH + oh) * oW;
                    int top = oh * strideH - padTop;
                    int khFirst = Conv.FirstValid(top, dilationH), khEnd = Conv.EndValid(top, dilationH, h, kH);
                    if (khFirst >= khEnd)
                    {
                        new Span<float>(yRow, oW).Fill(float.NegativeInfinity);
                        continue;
                    }
                    // The column maxima of the window's rows, 16 columns at a time (TensorPrimitives calls per row cost
                    // as much as the work on 112 columns), the last few in scalar code.
                    float* first = xp + (nint)(top + khFirst * dilationH) * w;
                    nint rowStep = (nint)dilationH * w;
                    int rows = khEnd - khFirst, col = 0;
                    for (; col + 16 <= count; col += 16)
                    {
                        var v = Vector512.Load(first + col);
                        for (int r = 1; r < rows; r++) v = MaxNaN(v, Vector512.Load(first + r * rowStep + col));
                        v.Store(row + padLeft + col);
                    }
                    for (; col < count; col++)
                    {
                        float v = first[col];
                        for (int r = 1; r < rows; r++) v = MaxNaN(v, first[r * rowStep + col]);
                        row[padLeft + col] = v;
                    }
                    for (int ow = 0; ow < oW; ow += 16)
                    {
                        var max = minusInfinity;
                        for (int kw = 0; kw < kW; kw++)
                        {
                            float* at = row + 2 * ow + kw;
                            max = MaxNaN(max, Avx512F.PermuteVar16x32x2(Vector512.Load(at), even, Vector512.Load(at + 16)));
                        }
                        if (ow + 16 <= oW) max.Store(yRow + ow);
                        else
                        {
                            max.Store(last);
                            for (int i = 0; i < oW - ow; i++) yRow[ow + i] = last[i];
                        }
                    }
                }
            }
        }
    }

    private static float MaxNaN(float a, float b) => b > a || float.IsNaN(b) ? b : a;

    /// <summary>Lane-wise max that is NaN where either operand is (maxps alone returns its second operand then).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> MaxNaN(Vector512<float> a, Vector512<float> b) =>
        Vector512.ConditionalSelect(Vector512.Equals(b, b), Avx512F.Max(b, a), b);

    /// <summary>
    /// 2-D average pooling. Without countIncludePad the divisor is the number of in-range input positions of the
    /// window; with it, the number of positions inside the padded input [-padTop, h + padBottom) x [-padLeft, w + padRight).
    /// </summary>
    public static void AveragePool2D(ReadOnlySpan<float> x, Span<float> y, int nc, int h, int w, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight, bool countIncludePad)
    {
        int inPlane = h * w, outPlane = oH * oW;
        if (x.Length < nc * inPlane || y.Length < nc * outPlane) ThrowHelper.Argument("A span is shorter than its shape.");
        for (int plane = 0; plane < nc; plane++)
        {
            ReadOnlySpan<float> xp = x.Slice(plane * inPlane, inPlane);
            Span<float> yp = y.Slice(plane * outPlane, outPlane);
            for (int oh = 0; oh < oH; oh++)
            {
                Span<float> yRow = yp.Slice(oh * oW, oW);
                int top = oh * strideH - padTop;
                int h0 = Math.Max(top, 0), h1 = Math.Min(top + kH, h);
                int rows = countIncludePad ? Math.Min(top + kH, h + padBottom) - Math.Max(top, -padTop) : h1 - h0;
                if (strideW == 1)
                {
                    yRow.Clear();
                    for (int ih = h0; ih < h1; ih++)
                    {
                        ReadOnlySpan<float> xRow = xp.Slice(ih * w, w);
                        for (int kw = 0; kw < kW; kw++)
                        {
                            int offset = kw - padLeft;
                            int first = Conv.FirstValid(offset, 1), end = Conv.EndValid(offset, 1, w, oW);
                            if (first >= end) continue;
                            Span<float> dst = yRow.Slice(first, end - first);
                            TensorPrimitives.Add(dst, xRow.Slice(first + offset, end - first), dst);
                        }
                    }
                    for (int ow = 0; ow < oW; ow++) yRow[ow] /= rows * ColumnCount(ow - padLeft, kW, w, padLeft, padRight, countIncludePad);
                    continue;
                }
                for (int ow = 0; ow < oW; ow++)
                {
                    int left = ow * strideW - padLeft;
                    int w0 = Math.Max(left, 0), w1 = Math.Min(left + kW, w);
                    float sum = 0f;
                    for (int ih = h0; ih < h1; ih++)
                    {
                        for (int iw = w0; iw < w1; iw++) sum += xp[ih * w + iw];
                    }
                    yRow[ow] = sum / (rows * ColumnCount(left, kW, w, padLeft, padRight, countIncludePad));
                }
            }
        }
    }

    private static int ColumnCount(int left, int kW, int w, int padLeft, int padRight, bool countIncludePad) =>
        countIncludePad
            ? Math.Min(left + kW, w + padRight) - Math.Max(left, -padLeft)
            : Math.Min(left + kW, w) - Math.Max(left, 0);

    /// <summary>y[i] = mean of x[i*spatial .. (i+1)*spatial).</summary>
    public static void GlobalAveragePool(ReadOnlySpan<float> x, Span<float> y, int nc, int spatial)
    {
        if (x.Length < nc * spatial || y.Length < nc) ThrowHelper.Argument("A span is shorter than its shape.");
        for (int i = 0; i < nc; i++) y[i] = TensorPrimitives.Sum(x.Slice(i * spatial, spatial)) / spatial;
    }

    /// <summary>y[i] = max of x[i*spatial .. (i+1)*spatial).</summary>
    public static void GlobalMaxPool(ReadOnlySpan<float> x, Span<float> y, int nc, int spatial)
    {
        if (x.Length < nc * spatial || y.Length < nc) ThrowHelper.Argument("A span is shorter than its shape.");
        if (spatial == 0)
        {
            y.Slice(0, nc).Fill(float.NegativeInfinity);
            return;
        }
        for (int i = 0; i < nc; i++) y[i] = TensorPrimitives.Max(x.Slice(i * spatial, spatial));
    }

    /// <summary>
    /// Max or average pooling over any number of spatial axes: x is [nc, inShape...], y [nc, outShape...]. Max pooling
    /// may also write indices (when not empty): the flat index of each maximum in x, with the spatial axes row-major,
    /// or column-major when columnMajorIndices (ONNX storage_order 1). Average pooling divides by the in-range
    /// positions of the window, or with countIncludePad by the positions inside the padded input.
    /// </summary>
    [SkipLocalsInit]
    public static void PoolND(ReadOnlySpan<float> x, Span<float> y, Span<long> indices, int nc, ReadOnlySpan<int> inShape, ReadOnlySpan<int> outShape,
        ReadOnlySpan<int> kernel, ReadOnlySpan<int> strides, ReadOnlySpan<int> padBegin, ReadOnlySpan<int> padEnd, ReadOnlySpan<int> dilations,
        bool max, bool countIncludePad, bool columnMajorIndices)
    {
        int r = inShape.Length;
        if (r == 0 || r > Shapes.MaxRank || outShape.Length != r || kernel.Length != r || strides.Length != r || padBegin.Length != r || padEnd.Length != r || dilations.Length != r)
            ThrowHelper.Argument("The window arguments must have one value per spatial axis.");
        int inPlane = 1, outPlane = 1, window = 1;
        for (int d = 0; d < r; d++)
        {
            inPlane *= inShape[d];
            outPlane *= outShape[d];
            window *= kernel[d];
        }
        if (x.Length < (long)nc * inPlane || y.Length < (long)nc * outPlane || (!indices.IsEmpty && indices.Length < (long)nc * outPlane))
            ThrowHelper.Argument("A span is shorter than its shape.");
        Span<int> o = stackalloc int[r];
        Span<int> k = stackalloc int[r];
        Span<int> indexStrides = stackalloc int[r];
        int stride = 1;
        for (int d = columnMajorIndices ? 0 : r - 1; columnMajorIndices ? d < r : d >= 0; d += columnMajorIndices ? 1 : -1)
        {
            indexStrides[d] = stride;
            stride *= inShape[d];
        }
        for (int plane = 0; plane < nc; plane++)
        {
            o.Clear();
            for (int at = 0; at < outPlane; at++)
            {
                float best = float.NegativeInfinity, sum = 0f;
                long bestIndex = -1;
                int count = 0, padded = 0;
                k.Clear();
                for (int kn = 0; kn < window; kn++)
                {
                    int offset = 0, indexOffset = 0;
                    bool inside = true, insidePadded = true;
                    for (int d = 0; d < r; d++)
                    {
                        int p = o[d] * strides[d] - padBegin[d] + k[d] * dilations[d];
                        if (p < 0 || p >= inShape[d]) inside = false;
                        if (p < -padBegin[d] || p >= inShape[d] + padEnd[d]) insidePadded = false;
                        offset = offset * inShape[d] + p;
                        indexOffset += p * indexStrides[d];
                    }
                    if (insidePadded) padded++;
                    if (inside)
                    {
                        float v = x[plane * inPlane + offset];
                        if (v > best || bestIndex < 0)
                        {
                            best = v;
                            bestIndex = (long)plane * inPlane + indexOffset;
                        }
                        sum += v;
                        count++;
                    }
                    for (int d = r - 1; d >= 0 && ++k[d] == kernel[d]; d--) k[d] = 0;
                }
                int to = plane * outPlane + at;
                if (max)
                {
                    y[to] = bestIndex < 0 ? float.NegativeInfinity : best;
                    if (!indices.IsEmpty) indices[to] = bestIndex;
                }
                else y[to] = sum / (countIncludePad ? padded : count);
                for (int d = r - 1; d >= 0 && ++o[d] == outShape[d]; d--) o[d] = 0;
            }
        }
    }
}
