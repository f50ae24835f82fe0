// Resize. The generator turns every coordinate rule (half_pixel, asymmetric, align_corners, rounding modes) into
// per-axis tables at compile time, so the kernels only gather (nearest) or blend two taps per axis (linear).
using System;
using System.Runtime.CompilerServices;

namespace EfficientAI.Runtime;

/// <summary>Nearest and bilinear resizing driven by compile-time source-index and weight tables.</summary>
public static class Resize
{
    /// <summary>
    /// Nearest: y[i0, ..., ir] = x[src0[i0], ..., srcr[ir]], where <paramref name="sources"/> holds each axis's
    /// source indices back to back (outShape[0] entries for axis 0, then outShape[1] for axis 1, ...).
    /// </summary>
    [SkipLocalsInit]
    public static void Nearest<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> inShape, ReadOnlySpan<int> outShape, ReadOnlySpan<int> sources) where T : unmanaged
    {
        int rank = inShape.Length;
        if (outShape.Length != rank) ThrowHelper.Argument("inShape and outShape must have the same rank.");
        Shapes.CheckRank(rank);
        if (rank == 0)
        {
            y[0] = x[0];
            return;
        }
        Span<int> inStrides = stackalloc int[Shapes.MaxRank];
        Span<int> tableStart = stackalloc int[Shapes.MaxRank];
        Shapes.ContiguousStrides(inShape, inStrides);
        int tableLength = 0;
        for (int d = 0; d < rank; d++)
        {
            tableStart[d] = tableLength;
            tableLength += outShape[d];
        }
        if (sources.Length != tableLength) ThrowHelper.Argument("sources must hold one entry per output index of every axis.");

        int inner = outShape[rank - 1];
        var last = sources.Slice(tableStart[rank - 1], inner);
        int rows = 1;
        for (int d = 0; d < rank - 1; d++) rows *= outShape[d];
        if ((long)rows * inner != y.Length) ThrowHelper.Argument("y does not match outShape.");
        Span<int> index = stackalloc int[Shapes.MaxRank];
        index.Clear();
        int o = 0;
        for (int r = 0; r < rows; r++)
        {
            int baseOffset = 0;
            for (int d = 0; d < rank - 1; d++) baseOffset += sources[tableStart[d] + index[d]] * inStrides[d];
            var row = x.Slice(baseOffset);
            for (int j = 0; j < inner; j++) y[o + j] = row[last[j]];
            o += inner;
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++index[d] < outShape[d]) break;
                index[d] = 0;
            }
        }
    }

    /// <summary>
    /// Bilinear over the last two axes of x viewed as [planes, inH, inW] into y [planes, outH, outW]. For output row
    /// i the taps are rows[2i], rows[2i+1] with weights rowWeights[2i], rowWeights[2i+1] (likewise for columns).
    /// </summary>
    public static void Linear(ReadOnlySpan<float> x, Span<float> y, int planes, int inH, int inW, int outH, int outW,
        ReadOnlySpan<int> rows, ReadOnlySpan<float> rowWeights, ReadOnlySpan<int> cols, ReadOnlySpan<float> colWeights)
    {
        if (rows.Length != 2 * outH || rowWeights.Length != 2 * outH || cols.Length != 2 * outW || colWeights.Length != 2 * outW)
            ThrowHelper.Argument("row and column tables must hold two taps per output index.");
        if ((long)planes * inH * inW != x.Length || (long)planes * outH * outW != y.Length) ThrowHelper.Argument("x or y does not match the shapes.");
        for (int p = 0; p < planes; p++)
        {
            var plane = x.Slice(p * inH * inW, inH * inW);
            var output = y.Slice(p * outH * outW, outH * outW);
            for (int i = 0; i < outH; i++)
            {
                var top = plane.Slice(rows[2 * i] * inW, inW);
                var bottom = plane.Slice(rows[2 * i + 1] * inW, inW);
                float wTop = rowWeights[2 * i], wBottom = rowWeights[2 * i + 1];
                var line = output.Slice(i * outW, outW);
                for (int j = 0; j < outW; j++)
                {
                    int c0 = cols[2 * j], c1 = cols[2 * j + 1];
                    float wLeft = colWeights[2 * j], wRight = colWeights[2 * j + 1];
                    line[j] = wLeft * wTop * top[c0] + wRight * wTop * top[c1] + wLeft * wBottom * bottom[c0] + wRight * wBottom * bottom[c1];
                }
            }
        }
    }

    /// <summary>
    /// Separable interpolation with <paramref name="taps"/> taps per axis (cubic 4) over the last two axes of x viewed
    /// as [planes, inH, inW]: y[p, i, j] = sum_a sum_b rowWeights[taps*i+a] * colWeights[taps*j+b] * x[p, rows[taps*i+a],
    /// cols[taps*j+b]]. An output whose row or column table starts with -1 lies outside the crop (tf_crop_and_resize)
    /// and gets <paramref name="extrapolation"/>.
    /// </summary>
    public static void Separable(ReadOnlySpan<float> x, Span<float> y, int planes, int inH, int inW, int outH, int outW, int taps,
        ReadOnlySpan<int> rows, ReadOnlySpan<float> rowWeights, ReadOnlySpan<int> cols, ReadOnlySpan<float> colWeights, float extrapolation)
    {
        if (taps <= 0 || rows.Length != taps * outH || rowWeights.Length != taps * outH || cols.Length != taps * outW || colWeights.Length != taps * outW)
            ThrowHelper.Argument("row and column tables must hold taps entries per output index.");
        if ((long)planes * inH * inW != x.Length || (long)planes * outH * outW != y.Length) ThrowHelper.Argument("x or y does not match the shapes.");
        for (int i = 0; i < rows.Length; i++) if (rows[i] >= inH) ThrowHelper.Argument("a row index is out of range.");
        for (int i = 0; i < cols.Length; i++) if (cols[i] >= inW) ThrowHelper.Argument("a column index is out of range.");
        for (int p = 0; p < planes; p++)
        {
            var plane = x.Slice(p * inH * inW, inH * inW);
            var output = y.Slice(p * outH * outW, outH * outW);
            for (int i = 0; i < outH; i++)
            {
                var line = output.Slice(i * outW, outW);
                if (rows[taps * i] < 0)
                {
                    line.Fill(extrapolation);
                    continue;
                }
                for (int j = 0; j < outW; j++)
                {
                    if (cols[taps * j] < 0)
                    {
                        line[j] = extrapolation;
                        continue;
                    }
                    float sum = 0f;
                    for (int a = 0; a < taps; a++)
                    {
                        var src = plane.Slice(rows[taps * i + a] * inW, inW);
                        float rowSum = 0f;
                        for (int b = 0; b < taps; b++) rowSum += colWeights[taps * j + b] * src[cols[taps * j + b]];
                        sum += rowWeights[taps * i + a] * rowSum;
                    }
                    line[j] = sum;
                }
            }
        }
    }
}
