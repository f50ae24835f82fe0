// Data movement. Transpose, Slice and Broadcast all reduce to one gather: y (contiguous) walks a collapsed shape
// while x is read at base + sum(index * stride). Unit inner stride copies runs, zero inner stride fills runs, and a
// true 2-D transpose in the two inner axes is done in cache-sized tiles.
using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace EfficientAI.Runtime;

/// <summary>Data movement: transpose, copy, pad, slice.</summary>
public static class Layout
{
    private const int Tile = 32;

    /// <summary>y = transpose(x, perm), x of shape inShape.</summary>
    [SkipLocalsInit]
    public static void Transpose<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> inShape, ReadOnlySpan<int> perm) where T : unmanaged
    {
        int rank = inShape.Length;
        if (perm.Length != rank) ThrowHelper.Argument("perm must have one entry per axis.");
        Shapes.CheckRank(rank);
        Span<int> inStrides = stackalloc int[Shapes.MaxRank];
        Span<int> outShape = stackalloc int[Shapes.MaxRank];
        Span<int> strides = stackalloc int[Shapes.MaxRank];
        Shapes.ContiguousStrides(inShape, inStrides);
        for (int d = 0; d < rank; d++)
        {
            outShape[d] = inShape[perm[d]];
            strides[d] = inStrides[perm[d]];
        }
        Span<int> shape = stackalloc int[Shapes.MaxRank];
        Span<int> cStrides = stackalloc int[Shapes.MaxRank];
        int r = Shapes.Collapse(outShape.Slice(0, rank), strides.Slice(0, rank), shape, cStrides, out long total);
        Gather(x, 0, y, shape, cStrides, r, total);
    }

    /// <summary>Copies rows rows of rowLength elements from src (row stride srcStride, starting at srcOffset) to dst (row stride dstStride, from dstOffset). Serves Concat and Split.</summary>
    public static void CopyRows<T>(ReadOnlySpan<T> src, int srcOffset, int srcStride, Span<T> dst, int dstOffset, int dstStride, int rows, int rowLength) where T : unmanaged
    {
        if (rows <= 0 || rowLength <= 0) return;
        if (srcStride == rowLength && dstStride == rowLength)
        {
            src.Slice(srcOffset, rows * rowLength).CopyTo(dst.Slice(dstOffset, rows * rowLength));
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            src.Slice(srcOffset + r * srcStride, rowLength).CopyTo(dst.Slice(dstOffset + r * dstStride, rowLength));
        }
    }

    /// <summary>Pads x of shape inShape by pads (begin for every axis, then end for every axis; negative values crop).</summary>
    [SkipLocalsInit]
    public static void Pad<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> inShape, ReadOnlySpan<int> pads, PadMode mode, T value) where T : unmanaged
    {
        int rank = inShape.Length;
        if (pads.Length != 2 * rank) ThrowHelper.Argument("pads must have 2 * rank entries.");
        Shapes.CheckRank(rank);
        Span<int> outShape = stackalloc int[Shapes.MaxRank];
        Span<int> inStrides = stackalloc int[Shapes.MaxRank];
        Shapes.ContiguousStrides(inShape, inStrides);
        long outTotal = 1, inTotal = 1;
        for (int d = 0; d < rank; d++)
        {
            outShape[d] = inShape[d] + pads[d] + pads[rank + d];
            if (outShape[d] < 0) ThrowHelper.Argument("Negative pads crop more than the axis holds.");
            outTotal *= outShape[d];
            inTotal *= inShape[d];
        }
        if (outTotal == 0) return;
        if (y.Length < outTotal || x.Length < inTotal) ThrowHelper.Argument("A span is shorter than its shape.");
        if (rank == 0)
        {
            y[0] = x[0];
            return;
        }
        if (inTotal == 0)
        {
            y.Slice(0, (int)outTotal).Fill(value);
            return;
        }

        int inW = inShape[rank - 1], outW = outShape[rank - 1], padW = pads[rank - 1];
        // Output columns whose source column lies inside the input: one contiguous copy per row.
        int midStart = Math.Clamp(padW, 0, outW), midEnd = Math.Clamp(padW + inW, midStart, outW);
        long rows = outTotal / outW;
        Span<int> index = stackalloc int[Shapes.MaxRank];
        index.Slice(0, rank).Clear();
        for (long row = 0; row < rows; row++)
        {
            Span<T> yRow = y.Slice((int)(row * outW), outW);
            int rowBase = 0;
            bool inside = true;
            for (int d = 0; d < rank - 1; d++)
            {
                int i = SourceIndex(index[d] - pads[d], inShape[d], mode);
                if (i < 0) { inside = false; break; }
                rowBase += i * inStrides[d];
            }
            if (!inside)
            {
                yRow.Fill(value);
            }
            else
            {
                ReadOnlySpan<T> xRow = x.Slice(rowBase, inW);
                for (int o = 0; o < midStart; o++) yRow[o] = Source(xRow, o - padW, mode, value);
                xRow.Slice(midStart - padW, midEnd - midStart).CopyTo(yRow.Slice(midStart, midEnd - midStart));
                for (int o = midEnd; o < outW; o++) yRow[o] = Source(xRow, o - padW, mode, value);
            }
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++index[d] < outShape[d]) break;
                index[d] = 0;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Source<T>(ReadOnlySpan<T> xRow, int i, PadMode mode, T value) where T : unmanaged
    {
        int s = SourceIndex(i, xRow.Length, mode);
        return s < 0 ? value : xRow[s];
    }

    /// <summary>Input index read for (possibly out-of-range) index i of an axis of length n; -1 means the constant.</summary>
    private static int SourceIndex(int i, int n, PadMode mode)
    {
        if ((uint)i < (uint)n) return i;
        switch (mode)
        {
            case PadMode.Edge: return i < 0 ? 0 : n - 1;
            case PadMode.Reflect:
                if (n == 1) return 0;
                int period = 2 * (n - 1);
                int m = ((i % period) + period) % period;
                return m < n ? m : period - m;
            case PadMode.Wrap: return ((i % n) + n) % n;
            default: return -1;
        }
    }

    /// <summary>Strided slice: y[i0, i1, ...] = x[starts[0] + i0*steps[0], ...] with y of shape outShape; steps may be negative.</summary>
    [SkipLocalsInit]
    public static void Slice<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> inShape, ReadOnlySpan<int> starts, ReadOnlySpan<int> steps, ReadOnlySpan<int> outShape) where T : unmanaged
    {
        int rank = inShape.Length;
        if (starts.Length != rank || steps.Length != rank || outShape.Length != rank) ThrowHelper.Argument("Slice parameters need one entry per axis.");
        Shapes.CheckRank(rank);
        Span<int> inStrides = stackalloc int[Shapes.MaxRank];
        Span<int> strides = stackalloc int[Shapes.MaxRank];
        Shapes.ContiguousStrides(inShape, inStrides);
        int baseOffset = 0;
        for (int d = 0; d < rank; d++)
        {
            baseOffset += starts[d] * inStrides[d];
            strides[d] = steps[d] * inStrides[d];
        }
        Span<int> shape = stackalloc int[Shapes.MaxRank];
        Span<int> cStrides = stackalloc int[Shapes.MaxRank];
        int r = Shapes.Collapse(outShape, strides.Slice(0, rank), shape, cStrides, out long total);
        Gather(x, baseOffset, y, shape, cStrides, r, total);
    }

    /// <summary>Broadcasts x (its strides per output axis, 0 on broadcast axes) to y of shape outShape. Serves Expand and Tile-like copies.</summary>
    [SkipLocalsInit]
    public static void Broadcast<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> outShape, ReadOnlySpan<int> xStrides) where T : unmanaged
    {
        if (xStrides.Length != outShape.Length) ThrowHelper.Argument("xStrides needs one entry per axis.");
        Shapes.CheckRank(outShape.Length);
        Span<int> shape = stackalloc int[Shapes.MaxRank];
        Span<int> cStrides = stackalloc int[Shapes.MaxRank];
        int r = Shapes.Collapse(outShape, xStrides, shape, cStrides, out long total);
        Gather(x, 0, y, shape, cStrides, r, total);
    }

    /// <summary>y[flat(i)] = x[baseOffset + sum(i[d] * strides[d])] over the collapsed shape (rank r, total elements).</summary>
    [SkipLocalsInit]
    private static void Gather<T>(ReadOnlySpan<T> x, int baseOffset, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int r, long total)
        where T : unmanaged
    {
        if (total == 0) return;
        if (y.Length < total) ThrowHelper.Argument("y is shorter than the output shape.");
        if (r == 0)
        {
            y[0] = x[baseOffset];
            return;
        }
        int inner = shape[r - 1], innerStride = strides[r - 1];
        bool tiled = r >= 2 && innerStride != 1 && innerStride != 0 && strides[r - 2] == 1;
        int outerRank = tiled ? r - 2 : r - 1;
        int block = tiled ? shape[r - 2] * inner : inner;
        long blocks = total / block;
        Span<int> index = stackalloc int[Shapes.MaxRank];
        index.Slice(0, r).Clear();
        int offset = baseOffset;
        for (long bIdx = 0; bIdx < blocks; bIdx++)
        {
            Span<T> yBlock = y.Slice((int)(bIdx * block), block);
            if (tiled) TransposeTile(x, offset, yBlock, shape[r - 2], inner, innerStride);
            else if (innerStride == 1) x.Slice(offset, inner).CopyTo(yBlock);
            else if (innerStride == 0) yBlock.Fill(x[offset]);
            else
            {
                for (int i = 0; i < inner; i++) yBlock[i] = x[offset + i * innerStride];
            }
            for (int d = outerRank - 1; d >= 0; d--)
            {
                offset += strides[d];
                if (++index[d] < shape[d]) break;
                offset -= strides[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>y[i * cols + j] = x[offset + i + j * colStride]: blocked so both sides stay in cache.</summary>
    private static void TransposeTile<T>(ReadOnlySpan<T> x, int offset, Span<T> y, int rows, int cols, int colStride) where T : unmanaged
    {
        for (int i0 = 0; i0 < rows; i0 += Tile)
        {
            int i1 = Math.Min(rows, i0 + Tile);
            for (int j0 = 0; j0 < cols; j0 += Tile)
            {
                int j1 = Math.Min(cols, j0 + Tile);
                for (int i = i0; i < i1; i++)
                {
                    Span<T> yRow = y.Slice(i * cols, cols);
                    int src = offset + i;
                    for (int j = j0; j < j1; j++) yRow[j] = x[src + j * colStride];
                }
            }
        }
    }

    /// <summary>
    /// Trilu: x viewed as [batch, rows, cols]; keeps the elements on and above diagonal k (upper) or on and below it
    /// (lower), where element (i, j) is on diagonal j - i; the others become zero. y may alias x.
    /// </summary>
    public static void Triangle<T>(ReadOnlySpan<T> x, Span<T> y, int batch, int rows, int cols, long k, bool upper) where T : unmanaged
    {
        long total = (long)batch * rows * cols;
        if (x.Length < total || y.Length < total) ThrowHelper.Argument("A span is shorter than its shape.");
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < rows; i++)
            {
                int row = (b * rows + i) * cols;
                // The kept columns form one run: [i + k, cols) when upper, [0, i + k] when lower.
                long edge = i + k;
                int keepFrom = upper ? (int)Math.Clamp(edge, 0, cols) : 0;
                int keepTo = upper ? cols : (int)Math.Clamp(edge + 1, 0, cols);
                if (keepTo < keepFrom) keepTo = keepFrom;
                y.Slice(row, keepFrom).Clear();
                x.Slice(row + keepFrom, keepTo - keepFrom).CopyTo(y.Slice(row + keepFrom, keepTo - keepFrom));
                y.Slice(row + keepTo, cols - keepTo).Clear();
            }
        }
    }

    /// <summary>EyeLike: y is [rows, cols], one on diagonal k (element (i, i + k)), zero elsewhere.</summary>
    public static void Eye<T>(Span<T> y, int rows, int cols, long k) where T : unmanaged, INumberBase<T>
    {
        if (y.Length < (long)rows * cols) ThrowHelper.Argument("y is shorter than its shape.");
        y.Slice(0, rows * cols).Clear();
        for (int i = 0; i < rows; i++)
        {
            long j = i + k;
            if (j >= 0 && j < cols) y[i * cols + (int)j] = T.One;
        }
    }

    /// <summary>
    /// ReverseSequence: x is [time, batch, inner] (or [batch, time, inner] when batchFirst); for each batch entry b the
    /// first lengths[b] time steps are reversed and the rest copied. y must not alias x.
    /// </summary>
    public static void ReverseSequence<T, TIndex>(ReadOnlySpan<T> x, ReadOnlySpan<TIndex> lengths, Span<T> y, int time, int batch, int inner, bool batchFirst)
        where T : unmanaged where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        long total = (long)time * batch * inner;
        if (x.Length < total || y.Length < total || lengths.Length < batch) ThrowHelper.Argument("A span is shorter than its shape.");
        for (int b = 0; b < batch; b++)
        {
            long length = long.CreateTruncating(lengths[b]);
            if (length < 0 || length > time) ThrowHelper.Argument("A sequence length is outside [0, time].");
            for (int t = 0; t < time; t++)
            {
                int source = t < length ? (int)length - 1 - t : t;
                int to = batchFirst ? b * time + t : t * batch + b, from = batchFirst ? b * time + source : source * batch + b;
                x.Slice(from * inner, inner).CopyTo(y.Slice(to * inner, inner));
            }
        }
    }
}
