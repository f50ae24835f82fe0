// GEMM against a right operand packed ahead of time (by the generator, from the model's weights) into panels of
// 16 columns: panel q holds columns [16q, 16q+16) as k rows of 16 contiguous floats, zero-padded past n. A
// micro-kernel then streams one (512-bit: two) panel(s) sequentially while 6 rows of A are broadcast, keeping a
// 6 x 2-vector tile of y in registers; k is blocked so the panels a tile streams stay in L1 while every row tile
// of A passes over them. Bias and the activation are applied in the epilogue, before the tile leaves registers.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EfficientAI.Runtime;

public static partial class Gemm
{
    /// <summary>Columns per packed panel (one Vector512, two Vector256, four Vector128).</summary>
    public const int PanelWidth = 16;

    // Depth of one k block: a 512-bit tile streams 2 panels of kc x 16 floats = 32 KB, inside a 48 KB L1.
    internal const int PackedDepthBlock = 256;

    // Rows of the main micro-kernel: 6 x 2 accumulators + 2 B vectors + 1 broadcast fit 16 vector registers.
    private const int TileRows = 6;

    /// <summary>Floats of the packed form of a [k, n] operand.</summary>
    public static int PackedLength(int k, int n) => checked((n + PanelWidth - 1) / PanelWidth * PanelWidth * k);

    /// <summary>
    /// Packs alpha * op(b) into panels: op(b) is b ([k, n]) or, with transB, the transpose of b stored as [n, k].
    /// The generator does this at compile time; tests and benchmarks call it to build the same layout.
    /// </summary>
    public static void PackB(ReadOnlySpan<float> b, Span<float> packed, int k, int n, bool transB, float alpha = 1f)
    {
        if (b.Length < k * n || packed.Length < PackedLength(k, n)) ThrowHelper.Argument("b or packed is too short.");
        packed.Slice(0, PackedLength(k, n)).Clear();
        for (int j = 0; j < n; j++)
        {
            int panel = j / PanelWidth * PanelWidth * k, lane = j % PanelWidth;
            for (int p = 0; p < k; p++) packed[panel + p * PanelWidth + lane] = alpha * (transB ? b[j * k + p] : b[p * n + j]);
        }
    }

    /// <summary>
    /// y[m, n] = act(a[m, k] * B + bias), where B is [k, n] packed by <see cref="PackB"/> and bias is [n] (broadcast
    /// over rows) or empty. y must not overlap a.
    /// </summary>
    public static void ComputePacked(ReadOnlySpan<float> a, ReadOnlySpan<float> packedB, ReadOnlySpan<float> bias, Span<float> y,
        int m, int n, int k, Activation activation) =>
        ComputePacked(a, packedB, bias, y, m, n, k, activation, MaxVectorWidth);

    /// <summary><see cref="ComputePacked(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Activation)"/> limited to vectors of at most maxWidth floats.</summary>
    internal static unsafe void ComputePacked(ReadOnlySpan<float> a, ReadOnlySpan<float> packedB, ReadOnlySpan<float> bias, Span<float> y,
        int m, int n, int k, Activation activation, int maxWidth)
    {
        if (m <= 0 || n <= 0) return;
        if (a.Length < m * k || packedB.Length < PackedLength(k, n) || y.Length < m * n || (!bias.IsEmpty && bias.Length < n))
            ThrowHelper.Argument("A span is shorter than its shape.");
        if (k <= 0)
        {
            for (int i = 0; i < m; i++)
            {
                var row = y.Slice(i * n, n);
                if (bias.IsEmpty) row.Clear();
                else bias.Slice(0, n).CopyTo(row);
            }
            activation.Apply(y.Slice(0, m * n));
            return;
        }
        fixed (float* pa = a, pb = packedB, pbias = bias, py = y)
        {
            AccumulatePacked(pa, k, pb, bias.IsEmpty ? null : pbias, py, n, m, n, k, activation, maxWidth);
        }
    }

    /// <summary>
    /// y[i*ldy + j] = act(sum_p a[i*lda + p] * B[p, j] + bias[j]) with B packed for (k, n). bias may be null. Shared
    /// with Conv (a is then the weights, the packed operand its input columns). A caller that packs its operand a slice
    /// of k at a time passes each slice: <paramref name="accumulate"/> adds to y instead of starting from the bias, and
    /// <paramref name="finish"/> false leaves the activation to the last slice. <paramref name="fromY"/> starts the first
    /// slice from y plus the bias (a residual the caller put in y: ResidualAddFusion's Convs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void AccumulatePacked(float* a, nint lda, float* packed, float* bias, float* y, nint ldy,
        int m, int n, int k, Activation activation, int maxWidth = MaxVectorWidth, float* rowBias = null, nint ldb = 0,
        bool accumulate = false, bool finish = true, bool fromY = false)
    {
        int panels = (n + PanelWidth - 1) / PanelWidth;
        // Packed panels: rows PanelWidth apart, panels k rows apart. ldb > 0 reads an unpacked row-major [k, ldb]
        // operand in place instead (a 1x1 Conv's input); then n must be a multiple of PanelWidth.
        nint panelStride = ldb > 0 ? PanelWidth : (nint)k * PanelWidth;
        if (ldb <= 0) ldb = PanelWidth;
        for (int p0 = 0; p0 < k; p0 += PackedDepthBlock)
        {
            int kc = Math.Min(PackedDepthBlock, k - p0);
            var step = new PackedStep(p0 == 0 && !accumulate, p0 + kc == k && finish, bias, rowBias, activation, fromY);
            float* ap = a + p0;
            int q = 0;
            if (maxWidth >= 16 && Simd512.IsSupported)
            {
                // Two panels side by side: the tile's second vector is the next panel.
                for (; q + 2 <= panels; q += 2)
                    Columns<Simd512, Vector512<float>>(ap, lda, packed + q * panelStride + p0 * ldb, panelStride, ldb,
                        y, ldy, m, q * PanelWidth, Math.Min(2 * PanelWidth, n - q * PanelWidth), kc, step);
            }
            if (maxWidth >= 8 && Simd256.IsSupported)
            {
                for (; q < panels; q++)
                    Columns<Simd256, Vector256<float>>(ap, lda, packed + q * panelStride + p0 * ldb, 8, ldb,
                        y, ldy, m, q * PanelWidth, Math.Min(PanelWidth, n - q * PanelWidth), kc, step);
            }
            if (maxWidth >= 4 && Simd128.IsSupported)
            {
                for (; q < panels; q++)
                {
                    for (int half = 0; half < 2; half++)
                    {
                        int j0 = q * PanelWidth + half * 8;
                        if (j0 >= n) break;
                        Columns<Simd128, Vector128<float>>(ap, lda, packed + q * panelStride + p0 * ldb + half * 8, 4, ldb,
                            y, ldy, m, j0, Math.Min(8, n - j0), kc, step);
                    }
                }
            }
            for (; q < panels; q++) ScalarPanel(ap, lda, packed + q * panelStride + p0 * ldb, ldb, y, ldy, m, q * PanelWidth, Math.Min(PanelWidth, n - q * PanelWidth), kc, step);
        }
    }

    /// <summary>What the epilogue of one k block does: the first adds the bias (others add y), the last activates.</summary>
    private readonly unsafe struct PackedStep
    {
        public PackedStep(bool first, bool last, float* bias, float* rowBias, Activation activation, bool fromY = false)
        {
            First = first;
            Zero = first && !fromY;
            Last = last;
            Bias = bias;
            RowBias = rowBias;
            Activation = activation;
        }

        public bool First { get; }
        /// <summary>The first block, starting from zero (plus the bias); false where it starts from y (fromY).</summary>
        public bool Zero { get; }
        public bool Last { get; }
        /// <summary>Per column (Gemm's C row), or null.</summary>
        public float* Bias { get; }
        /// <summary>Per row (Conv's per-channel bias), or null.</summary>
        public float* RowBias { get; }
        public Activation Activation { get; }
    }

    /// <summary>
    /// One block of 2 vectors of columns [j0, j0 + width) over all rows: b is the block's first vector at p = 0, its
    /// second vector is at b + second; B rows are ldb apart. A block narrower than 2 vectors (the last
    /// columns) runs on a padded copy so the kernels never read or write past n.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Columns<TS, TV>(float* a, nint lda, float* b, nint second, nint ldb, float* y, nint ldy,
        int m, int j0, int width, int kc, PackedStep step) where TS : struct, ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        bool full = width == 2 * w;
        float* biasTile = stackalloc float[2 * w];
        float* yTile = stackalloc float[TileRows * 2 * w];
        float* bias = null;
        if (step.First && step.Bias != null)
        {
            if (full) bias = step.Bias + j0;
            else
            {
                for (int j = 0; j < 2 * w; j++) biasTile[j] = j < width ? step.Bias[j0 + j] : 0f;
                bias = biasTile;
            }
        }
        Activation regs = step.Last && step.Activation.InRegisters ? step.Activation : Activation.None;

        for (int i = 0; i < m;)
        {
            // Remainder rows in 4- and 2-row tiles: a 1-row tile keeps only 2 (8 with its k phases) chains and per-row
            // broadcasts, so 28 rows as 4 x 6 + 4 x 1 spent a third of their time on the last four.
            int rows = m - i >= TileRows ? TileRows : m - i >= 4 ? 4 : m - i >= 2 ? 2 : 1;
            float* yi = y + i * ldy + j0;
            float* target = yi;
            nint ldt = ldy;
            if (!full)
            {
                target = yTile;
                ldt = 2 * w;
                if (!step.Zero)
                {
                    for (int r = 0; r < rows; r++)
                        for (int j = 0; j < width; j++) yTile[r * 2 * w + j] = yi[r * ldy + j];
                }
            }
            float* rowBias = step.First && step.RowBias != null ? step.RowBias + i : null;
            if (rows == TileRows) Tile6x2<TS, TV>(a + i * lda, lda, b, second, ldb, target, ldt, kc, step.Zero, bias, rowBias, regs);
            else if (rows == 4) TileRx2<TS, TV, TileRows4>(a + i * lda, lda, b, second, ldb, target, ldt, kc, step.Zero, bias, rowBias, regs);
            else if (rows == 2) TileRx2<TS, TV, TileRows2>(a + i * lda, lda, b, second, ldb, target, ldt, kc, step.Zero, bias, rowBias, regs);
            else Tile1x2<TS, TV>(a + i * lda, b, second, ldb, target, kc, step.Zero, bias, rowBias, regs);
            if (!full)
            {
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < width; j++) yi[r * ldy + j] = yTile[r * 2 * w + j];
            }
            i += rows;
        }
        if (step.Last && !step.Activation.InRegisters)
        {
            for (int i = 0; i < m; i++) step.Activation.Apply(new Span<float>(y + i * ldy + j0, width));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TV Finish<TS, TV>(TV acc, float* y, bool first, float* bias, float* rowBias, Activation act) where TS : struct, ISimd<TV> where TV : struct
    {
        // Bias only with the first block (null otherwise), added to y when that block starts from y.
        if (!first) acc = TS.Add(acc, TS.Load(y));
        if (bias != null) acc = TS.Add(acc, TS.Load(bias));
        else if (rowBias != null) acc = TS.Add(acc, TS.Splat(*rowBias));
        // Max/Min return their second operand when either is NaN: NaN passes through as in the unfused ops.
        return act.Kind switch
        {
            ActivationKind.None => acc,
            ActivationKind.Relu => TS.Max(default, acc),
            // max(x, 0) + alpha * min(x, 0) is exactly x or alpha * x.
            ActivationKind.LeakyRelu => TS.Fma(TS.Splat(act.Alpha), TS.Min(default, acc), TS.Max(default, acc)),
            _ => TS.Min(TS.Splat(act.Beta), TS.Max(TS.Splat(act.Alpha), acc)),
        };
    }

    // 6 rows x 2 vectors: 12 independent accumulators cover the FMA latency on two ports; each B vector feeds 6 FMAs.
    // Compiled on its own (not inlined into Columns) and addressing the six rows of A from two pointers and lda, so
    // the loop keeps its pointers in registers: inlined, with a pointer per row, the JIT reloaded five of them from
    // the stack every step.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile6x2<TS, TV>(float* a, nint lda, float* b, nint second, nint ldb, float* y, nint ldy, int kc,
        bool first, float* bias, float* rowBias, Activation act) where TS : struct, ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TV c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* a0 = a, a3 = a + 3 * lda, end = a + kc;
        float* b1p = b + second;
        nint step = ldb;
        for (; a0 < end; a0++, a3++)
        {
            TV b0 = TS.Load(b), b1 = TS.Load(b1p);
            TV av = TS.Splat(a0[0]);
            c00 = TS.Fma(av, b0, c00); c01 = TS.Fma(av, b1, c01);
            av = TS.Splat(a0[lda]);
            c10 = TS.Fma(av, b0, c10); c11 = TS.Fma(av, b1, c11);
            av = TS.Splat(a0[2 * lda]);
            c20 = TS.Fma(av, b0, c20); c21 = TS.Fma(av, b1, c21);
            av = TS.Splat(a3[0]);
            c30 = TS.Fma(av, b0, c30); c31 = TS.Fma(av, b1, c31);
            av = TS.Splat(a3[lda]);
            c40 = TS.Fma(av, b0, c40); c41 = TS.Fma(av, b1, c41);
            av = TS.Splat(a3[2 * lda]);
            c50 = TS.Fma(av, b0, c50); c51 = TS.Fma(av, b1, c51);
            b += step;
            b1p += step;
        }
        float* bias1 = bias == null ? null : bias + w;
        TS.Store(y, Finish<TS, TV>(c00, y, first, bias, rowBias == null ? null : rowBias + 0, act)); TS.Store(y + w, Finish<TS, TV>(c01, y + w, first, bias1, rowBias == null ? null : rowBias + 0, act)); y += ldy;
        TS.Store(y, Finish<TS, TV>(c10, y, first, bias, rowBias == null ? null : rowBias + 1, act)); TS.Store(y + w, Finish<TS, TV>(c11, y + w, first, bias1, rowBias == null ? null : rowBias + 1, act)); y += ldy;
        TS.Store(y, Finish<TS, TV>(c20, y, first, bias, rowBias == null ? null : rowBias + 2, act)); TS.Store(y + w, Finish<TS, TV>(c21, y + w, first, bias1, rowBias == null ? null : rowBias + 2, act)); y += ldy;
        TS.Store(y, Finish<TS, TV>(c30, y, first, bias, rowBias == null ? null : rowBias + 3, act)); TS.Store(y + w, Finish<TS, TV>(c31, y + w, first, bias1, rowBias == null ? null : rowBias + 3, act)); y += ldy;
        TS.Store(y, Finish<TS, TV>(c40, y, first, bias, rowBias == null ? null : rowBias + 4, act)); TS.Store(y + w, Finish<TS, TV>(c41, y + w, first, bias1, rowBias == null ? null : rowBias + 4, act)); y += ldy;
        TS.Store(y, Finish<TS, TV>(c50, y, first, bias, rowBias == null ? null : rowBias + 5, act)); TS.Store(y + w, Finish<TS, TV>(c51, y + w, first, bias1, rowBias == null ? null : rowBias + 5, act));
    }

    // 4 or 2 rows x 2 vectors for the rows past the last whole 6-row tile; R's unused rows are dead code once R is known.
    // Not inlined into Columns (the JIT declines a third tile there), so optimized on its own: tier-0 code ran 3x slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TileRx2<TS, TV, R>(float* a, nint lda, float* b, nint second, nint ldb, float* y, nint ldy, int kc,
        bool first, float* bias, float* rowBias, Activation act) where TS : struct, ISimd<TV> where TV : struct where R : struct, ITileRows
    {
        int w = TS.Count;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        for (int p = 0; p < kc; p++)
        {
            TV b0 = TS.Load(b), b1 = TS.Load(b + second);
            TV av = TS.Splat(a0[p]);
            c00 = TS.Fma(av, b0, c00); c01 = TS.Fma(av, b1, c01);
            av = TS.Splat(a1[p]);
            c10 = TS.Fma(av, b0, c10); c11 = TS.Fma(av, b1, c11);
            if (R.Count > 2)
            {
                av = TS.Splat(a2[p]);
                c20 = TS.Fma(av, b0, c20); c21 = TS.Fma(av, b1, c21);
                av = TS.Splat(a3[p]);
                c30 = TS.Fma(av, b0, c30); c31 = TS.Fma(av, b1, c31);
            }
            b += ldb;
        }
        float* bias1 = bias == null ? null : bias + w;
        TS.Store(y, Finish<TS, TV>(c00, y, first, bias, rowBias == null ? null : rowBias + 0, act)); TS.Store(y + w, Finish<TS, TV>(c01, y + w, first, bias1, rowBias == null ? null : rowBias + 0, act)); y += ldy;
        TS.Store(y, Finish<TS, TV>(c10, y, first, bias, rowBias == null ? null : rowBias + 1, act)); TS.Store(y + w, Finish<TS, TV>(c11, y + w, first, bias1, rowBias == null ? null : rowBias + 1, act)); y += ldy;
        if (R.Count > 2)
        {
            TS.Store(y, Finish<TS, TV>(c20, y, first, bias, rowBias == null ? null : rowBias + 2, act)); TS.Store(y + w, Finish<TS, TV>(c21, y + w, first, bias1, rowBias == null ? null : rowBias + 2, act)); y += ldy;
            TS.Store(y, Finish<TS, TV>(c30, y, first, bias, rowBias == null ? null : rowBias + 3, act)); TS.Store(y + w, Finish<TS, TV>(c31, y + w, first, bias1, rowBias == null ? null : rowBias + 3, act));
        }
    }

    // One row: four k phases with their own accumulators give 8 independent chains (a batch-1 GEMV is all this tile).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Tile1x2<TS, TV>(float* a, float* b, nint second, nint ldb, float* y, int kc,
        bool first, float* bias, float* rowBias, Activation act) where TS : struct, ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        TV c0 = default, c1 = default, d0 = default, d1 = default, e0 = default, e1 = default, f0 = default, f1 = default;
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            TV av = TS.Splat(a[p]);
            c0 = TS.Fma(av, TS.Load(b), c0); c1 = TS.Fma(av, TS.Load(b + second), c1);
            av = TS.Splat(a[p + 1]);
            d0 = TS.Fma(av, TS.Load(b + ldb), d0); d1 = TS.Fma(av, TS.Load(b + ldb + second), d1);
            av = TS.Splat(a[p + 2]);
            e0 = TS.Fma(av, TS.Load(b + 2 * ldb), e0); e1 = TS.Fma(av, TS.Load(b + 2 * ldb + second), e1);
            av = TS.Splat(a[p + 3]);
            f0 = TS.Fma(av, TS.Load(b + 3 * ldb), f0); f1 = TS.Fma(av, TS.Load(b + 3 * ldb + second), f1);
            b += 4 * ldb;
        }
        for (; p < kc; p++)
        {
            TV av = TS.Splat(a[p]);
            c0 = TS.Fma(av, TS.Load(b), c0); c1 = TS.Fma(av, TS.Load(b + second), c1);
            b += ldb;
        }
        c0 = TS.Add(TS.Add(c0, d0), TS.Add(e0, f0));
        c1 = TS.Add(TS.Add(c1, d1), TS.Add(e1, f1));
        TS.Store(y, Finish<TS, TV>(c0, y, first, bias, rowBias, act));
        TS.Store(y + w, Finish<TS, TV>(c1, y + w, first, bias == null ? null : bias + w, rowBias, act));
    }

    /// <summary>Columns [j0, j0 + width) of one panel without vectors.</summary>
    private static unsafe void ScalarPanel(float* a, nint lda, float* b, nint ldb, float* y, nint ldy, int m, int j0, int width, int kc, PackedStep step)
    {
        for (int i = 0; i < m; i++)
        {
            float* yi = y + i * ldy + j0;
            for (int j = 0; j < width; j++)
            {
                float sum = 0f;
                for (int p = 0; p < kc; p++) sum += a[i * lda + p] * b[p * ldb + j];
                float v = !step.Zero ? yi[j] + sum : sum;
                if (step.First) v = step.Bias != null ? v + step.Bias[j0 + j] : step.RowBias != null ? v + step.RowBias[i] : v;
                if (step.Last && step.Activation.InRegisters)
                {
                    var act = step.Activation;
                    v = act.Kind switch
                    {
                        ActivationKind.Relu => MathF.Max(v, 0f),
                        ActivationKind.LeakyRelu => v < 0f ? act.Alpha * v : v,
                        ActivationKind.Clip => MathF.Min(MathF.Max(v, act.Alpha), act.Beta),
                        _ => v,
                    };
                }
                yi[j] = v;
            }
            if (step.Last && !step.Activation.InRegisters) step.Activation.Apply(new Span<float>(yi, width));
        }
    }
}

/// <summary>Rows of a register tile, as a type so each tile size compiles to its own code with the unused rows removed.</summary>
internal interface ITileRows
{
    static abstract int Count { get; }
}

internal struct TileRows6 : ITileRows { public static int Count => 6; }
internal struct TileRows4 : ITileRows { public static int Count => 4; }
internal struct TileRows2 : ITileRows { public static int Count => 2; }
internal struct TileRows1 : ITileRows { public static int Count => 1; }
