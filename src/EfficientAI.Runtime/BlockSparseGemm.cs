using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

/// <summary>
/// y = activation(a * W + bias) for a constant weight W [k, n] pruned in 1x16 blocks (PruneBlock): W is cut into
/// panels of 16 output columns, and each panel keeps only its nonzero rows, a block of 16 values each. The kernel is the
/// packed dense kernel's inner loop (broadcast a[i, p], multiply the panel's row p into 16 accumulators) over the kept
/// rows only, so a block of zeros costs nothing and no gather is needed.
/// </summary>
public static class BlockSparseGemm
{
    /// <summary>Columns per block: one AVX-512 vector of floats.</summary>
    public const int Width = 16;

    /// <summary>Panels of 16 columns for n outputs.</summary>
    public static int Panels(int n) => (n + Width - 1) / Width;

    /// <summary>
    /// Compresses W ([k, n], or [n, k] when transposed, times alpha): per panel the rows with a nonzero value
    /// (panelStart[panel] .. panelStart[panel + 1] into blockRow) and their 16 values (columns past n are 0).
    /// </summary>
    public static (int[] PanelStart, int[] BlockRow, float[] Values) Compress(ReadOnlySpan<float> w, int k, int n, bool transposed = false, float alpha = 1f)
    {
        int panels = Panels(n);
        var start = new int[panels + 1];
        var rows = new System.Collections.Generic.List<int>();
        var values = new System.Collections.Generic.List<float>();
        for (int panel = 0; panel < panels; panel++)
        {
            for (int p = 0; p < k; p++)
            {
                bool any = false;
                for (int c = 0; c < Width && panel * Width + c < n; c++)
                    any |= w[transposed ? (panel * Width + c) * k + p : p * n + panel * Width + c] != 0f;
                if (!any) continue;
                rows.Add(p);
                for (int c = 0; c < Width; c++)
                {
                    int j = panel * Width + c;
                    values.Add(j < n ? alpha * w[transposed ? j * k + p : p * n + j] : 0f);
                }
            }
            start[panel + 1] = rows.Count;
        }
        return (start, rows.ToArray(), values.ToArray());
    }

    /// <summary>
    /// y[i, j] = activation(bias[j] + sum over kept rows p of panel j / 16 of a[i * k + p] * W[p, j]) for i &lt; m, j &lt; n.
    /// bias may be empty. The tables come from <see cref="Compress"/>; they are checked (rows in [0, k), starts non-decreasing).
    /// </summary>
    public static unsafe void Compute(ReadOnlySpan<float> a, ReadOnlySpan<int> panelStart, ReadOnlySpan<int> blockRow, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, Span<float> y, int m, int n, int k, Activation activation)
    {
        if (m <= 0 || n <= 0) return;
        int panels = Panels(n);
        if (a.Length < m * k || y.Length < m * n || panelStart.Length < panels + 1 || (!bias.IsEmpty && bias.Length < n))
            ThrowHelper.Argument("A span is shorter than its shape.");
        int blocks = panelStart[panels];
        if (panelStart[0] != 0 || blocks > blockRow.Length || (long)blocks * Width > values.Length)
            ThrowHelper.Argument("panelStart does not describe blockRow and values.");
        for (int panel = 0; panel < panels; panel++)
            if (panelStart[panel] > panelStart[panel + 1]) ThrowHelper.Argument("panelStart decreases.");
        for (int b = 0; b < blocks; b++)
            if ((uint)blockRow[b] >= (uint)k) ThrowHelper.Argument("A block row is outside [0, k).");
        fixed (float* pa = a, pv = values, pb = bias, py = y)
        fixed (int* ps = panelStart, pr = blockRow)
        {
            if (Avx512F.IsSupported) Rows512(pa, ps, pr, pv, bias.IsEmpty ? null : pb, py, m, n, k, panels);
            else RowsScalar(pa, ps, pr, pv, bias.IsEmpty ? null : pb, py, m, n, k, panels);
        }
        activation.Apply(y.Slice(0, m * n));
    }

    // Tier-0 code would call the vector intrinsics instead of inlining them (several times slower).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows512(float* a, int* start, int* rows, float* values, float* bias, float* y, int m, int n, int k, int panels)
    {
        float* tail = stackalloc float[Width];
        int i = 0;
        // Four rows of a at a time: each block of weights is loaded once for four accumulators.
        for (; i + 4 <= m; i += 4)
        {
            float* a0 = a + (long)i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
            for (int panel = 0; panel < panels; panel++)
            {
                var c0 = Vector512<float>.Zero;
                var c1 = c0;
                var c2 = c0;
                var c3 = c0;
                for (int b = start[panel], end = start[panel + 1]; b < end; b++)
                {
                    var w = Avx512F.LoadVector512(values + (long)b * Width);
                    int p = rows[b];
                    c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a0[p]), w, c0);
                    c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[p]), w, c1);
                    c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a2[p]), w, c2);
                    c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a3[p]), w, c3);
                }
                Store(c0, bias, y + (long)i * n, panel, n, tail);
                Store(c1, bias, y + (long)(i + 1) * n, panel, n, tail);
                Store(c2, bias, y + (long)(i + 2) * n, panel, n, tail);
                Store(c3, bias, y + (long)(i + 3) * n, panel, n, tail);
            }
        }
        for (; i < m; i++)
        {
            float* ai = a + (long)i * k;
            for (int panel = 0; panel < panels; panel++)
            {
                // Two chains: the FMA latency is hidden behind the next block's.
                var c0 = Vector512<float>.Zero;
                var c1 = c0;
                int b = start[panel], end = start[panel + 1];
                for (; b + 2 <= end; b += 2)
                {
                    c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(ai[rows[b]]), Avx512F.LoadVector512(values + (long)b * Width), c0);
                    c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(ai[rows[b + 1]]), Avx512F.LoadVector512(values + (long)(b + 1) * Width), c1);
                }
                if (b < end) c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(ai[rows[b]]), Avx512F.LoadVector512(values + (long)b * Width), c0);
                Store(c0 + c1, bias, y + (long)i * n, panel, n, tail);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(Vector512<float> sum, float* bias, float* row, int panel, int n, float* tail)
    {
        int j = panel * Width;
        if (j + Width <= n)
        {
            if (bias != null) sum += Avx512F.LoadVector512(bias + j);
            Avx512F.Store(row + j, sum);
            return;
        }
        Avx512F.Store(tail, sum);
        for (int c = 0; j + c < n; c++) row[j + c] = tail[c] + (bias == null ? 0f : bias[j + c]);
    }

    private static unsafe void RowsScalar(float* a, int* start, int* rows, float* values, float* bias, float* y, int m, int n, int k, int panels)
    {
        float* acc = stackalloc float[Width];
        for (int i = 0; i < m; i++)
        {
            float* ai = a + (long)i * k;
            for (int panel = 0; panel < panels; panel++)
            {
                for (int c = 0; c < Width; c++) acc[c] = 0f;
                for (int b = start[panel]; b < start[panel + 1]; b++)
                {
                    float x = ai[rows[b]];
                    float* w = values + (long)b * Width;
                    for (int c = 0; c < Width; c++) acc[c] += x * w[c];
                }
                for (int c = 0; c < Width && panel * Width + c < n; c++)
                {
                    int j = panel * Width + c;
                    y[(long)i * n + j] = acc[c] + (bias == null ? 0f : bias[j]);
                }
            }
        }
    }
}
