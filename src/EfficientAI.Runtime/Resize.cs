// Resize. The generator turns every coordinate rule (half_pixel, asymmetric, align_corners, rounding modes) into
// per-axis tables at compile time, so the kernels only gather (nearest) or blend two taps per axis (linear).
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    [SkipLocalsInit]
    public static unsafe void Linear(ReadOnlySpan<float> x, Span<float> y, int planes, int inH, int inW, int outH, int outW,
        ReadOnlySpan<int> rows, ReadOnlySpan<float> rowWeights, ReadOnlySpan<int> cols, ReadOnlySpan<float> colWeights)
    {
        if (rows.Length != 2 * outH || rowWeights.Length != 2 * outH || cols.Length != 2 * outW || colWeights.Length != 2 * outW)
            ThrowHelper.Argument("row and column tables must hold two taps per output index.");
        if ((long)planes * inH * inW != x.Length || (long)planes * outH * outW != y.Length) ThrowHelper.Argument("x or y does not match the shapes.");
        // The kernel reads through pointers: every tap must lie inside its plane.
        foreach (int r in rows) if ((uint)r >= (uint)inH) ThrowHelper.Argument("a row tap lies outside the input.");
        foreach (int c in cols) if ((uint)c >= (uint)inW) ThrowHelper.Argument("a column tap lies outside the input.");
        if (planes == 0 || outH == 0 || outW == 0) return;
        // Per output row the two source rows are blended once (inW values), then every output column takes its two
        // taps from the blend (AVX2 gathers eight columns per step). M-LSD's three 2x upsamplings ran 1.3 ms as scalar
        // code that blended four taps per output; rows too wide for the stack still do.
        bool blended = inW <= MaxBlendWidth;
        float* blend = stackalloc float[blended ? inW : 0];
        fixed (float* px = x, py = y, prw = rowWeights, pcw = colWeights)
        fixed (int* pr = rows, pc = cols)
        {
            for (int p = 0; p < planes; p++)
            {
                float* plane = px + (nint)p * inH * inW;
                for (int i = 0; i < outH; i++)
                {
                    float* top = plane + (nint)pr[2 * i] * inW, bottom = plane + (nint)pr[2 * i + 1] * inW;
                    float wTop = prw[2 * i], wBottom = prw[2 * i + 1];
                    float* line = py + ((nint)p * outH + i) * outW;
                    if (blended)
                    {
                        BlendRows(top, bottom, wTop, wBottom, blend, inW);
                        GatherColumns(blend, pc, pcw, line, outW);
                    }
                    else
                    {
                        for (int j = 0; j < outW; j++)
                        {
                            int c0 = pc[2 * j], c1 = pc[2 * j + 1];
                            float left = MathF.FusedMultiplyAdd(wBottom, bottom[c0], wTop * top[c0]), right = MathF.FusedMultiplyAdd(wBottom, bottom[c1], wTop * top[c1]);
                            line[j] = MathF.FusedMultiplyAdd(pcw[2 * j + 1], right, pcw[2 * j] * left);
                        }
                    }
                }
            }
        }
    }

    // Widest input row blended on the stack (16 KB); wider rows run the scalar loop.
    private const int MaxBlendWidth = 4096;

    private static unsafe void BlendRows(float* top, float* bottom, float wTop, float wBottom, float* blend, int width)
    {
        var vt = Vector256.Create(wTop);
        var vb = Vector256.Create(wBottom);
        int c = 0;
        if (Fma.IsSupported)
            for (; c + 8 <= width; c += 8)
                Fma.MultiplyAdd(vb, Vector256.Load(bottom + c), vt * Vector256.Load(top + c)).Store(blend + c);
        for (; c < width; c++) blend[c] = MathF.FusedMultiplyAdd(wBottom, bottom[c], wTop * top[c]);
    }

    private static unsafe void GatherColumns(float* blend, int* cols, float* colWeights, float* line, int outW)
    {
        int j = 0;
        for (; Avx2.IsSupported && Fma.IsSupported && j + 8 <= outW; j += 8)
        {
            var (left, right) = Deinterleave(Vector256.Load(cols + 2 * j), Vector256.Load(cols + 2 * j + 8));
            var (wLeft, wRight) = Deinterleave(Vector256.Load((int*)colWeights + 2 * j), Vector256.Load((int*)colWeights + 2 * j + 8));
            var l = Avx2.GatherVector256(blend, left, sizeof(float));
            var r = Avx2.GatherVector256(blend, right, sizeof(float));
            Fma.MultiplyAdd(wRight.AsSingle(), r, wLeft.AsSingle() * l).Store(line + j);
        }
        for (; j < outW; j++) line[j] = MathF.FusedMultiplyAdd(colWeights[2 * j + 1], blend[cols[2 * j + 1]], colWeights[2 * j] * blend[cols[2 * j]]);
    }

    /// <summary>Eight (even, odd) pairs in two vectors: the even lanes in order, then the odd ones.</summary>
    private static (Vector256<int> Even, Vector256<int> Odd) Deinterleave(Vector256<int> pairs0, Vector256<int> pairs1)
    {
        var order = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var a = Avx2.PermuteVar8x32(pairs0, order);
        var b = Avx2.PermuteVar8x32(pairs1, order);
        return (Avx2.Permute2x128(a, b, 0x20), Avx2.Permute2x128(a, b, 0x31));
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
