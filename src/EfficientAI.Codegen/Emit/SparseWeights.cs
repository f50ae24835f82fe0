using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Emit;

/// <summary>
/// Pruned constant GEMM weights in compressed form (the runtime's SparseGemm): per output column its nonzero values
/// (alpha folded in) and their rows, as int32/float tables among the weights. Gemm and MatMul emit it instead of the packed
/// dense form when enough of the weight is zero that skipping the zeros beats the packed kernel.
/// </summary>
internal static class SparseWeights
{
    /// <summary>
    /// Fraction of zero weights from which the CSR kernel is used. Measured with the SparseGemm benchmark (docs/compression.md):
    /// against the AVX-512 packed kernel at one row the gathers cost 2-8x more at 0.5-0.8 sparsity, 0.9-3.5x at 0.9 (three
    /// runs), and 0.53-0.86x at 0.95.
    /// </summary>
    public const double MinSparsity = 0.95;

    /// <summary>Rows of A up to which the CSR kernel is used: at 16 rows the packed kernel reuses each weight 16 times and wins even at 0.95 (1.3x).</summary>
    public const int MaxRows = 1;

    /// <summary>
    /// From this many rows of A the rows kernel (SparseGemm.ComputeRows: 16 rows transposed into scratch, each nonzero
    /// broadcast over them, no gathers) is used instead, from <see cref="RowsMinSparsity"/>. Between 2 and 15 rows it would
    /// leave most of its 16 lanes idle; those stay dense.
    /// </summary>
    public const int RowsMinRows = 16;

    /// <summary>
    /// Measured with the SparseGemmRows benchmark (docs/compression.md, two runs): at 16 rows 0.84-1.23x the packed kernel
    /// at 0.7 and 0.38-0.6x at 0.9; at 64 rows, where the packed kernel reuses each weight more, 1.2-1.7x at 0.7-0.8 and
    /// 0.72-0.95x at 0.9.
    /// </summary>
    public const double RowsMinSparsity = 0.9;

    /// <summary>True when a weight of this sparsity multiplying this many rows runs faster on a sparse kernel.</summary>
    public static bool Pays(Tensor w, int rows) =>
        rows <= MaxRows ? Sparsity(w) >= MinSparsity : rows >= RowsMinRows && Sparsity(w) >= RowsMinSparsity;

    /// <summary>Scratch floats a Gemm/MatMul of this weight and rows needs for the rows kernel (the transposed block of A), or 0.</summary>
    public static long ScratchFloats(Tensor? w, int rows, int k) =>
        w is { Type: DataType.Float } && rows >= RowsMinRows && k > 0 && Pays(w, rows) ? (long)k * RowsMinRows : 0;

    public static double Sparsity(Tensor w)
    {
        if (w.Type != DataType.Float || w.Length == 0) return 0;
        var values = w.ToFloats();
        int zeros = 0;
        foreach (var v in values) if (v == 0f) zeros++;
        return (double)zeros / values.Length;
    }

    /// <summary>
    /// Emits y = act(a * alpha * op(b) + bias) on a CSR kernel when b is sparse enough; false (nothing emitted) otherwise.
    /// op(b) is b [k, n], or with transB the transpose of b stored [n, k]. bias is a span expression or "default". From
    /// <see cref="RowsMinRows"/> rows it uses the node's scratch, which the op must declare with <see cref="ScratchFloats"/>.
    /// </summary>
    public static bool TryEmit(EmitContext ctx, Tensor b, int m, int n, int k, bool transB, float alpha, string bias)
    {
        if (b.Type != DataType.Float || m <= 0 || n <= 0 || k <= 0 || !Pays(b, m)) return false;
        var (columnStart, rowIndex, nonzeroValues, nonzeros) = Tables(ctx, b, k, n, transB, alpha);
        ctx.W.Line($"// sparse weights: {nonzeros} of {(long)k * n} nonzero, CSR by output column");
        if (m >= RowsMinRows)
            ctx.W.Line($"global::EfficientAI.Runtime.SparseGemm.ComputeRows({ctx.In(0)}, {columnStart}, {rowIndex}, {nonzeroValues}, {bias}, {ctx.Out(0)}, {m}, {n}, {k}, {ctx.Scratch}, {ctx.ActivationArgument});");
        else
            ctx.W.Line($"global::EfficientAI.Runtime.SparseGemm.Compute({ctx.In(0)}, {columnStart}, {rowIndex}, {nonzeroValues}, {bias}, {ctx.Out(0)}, {m}, {n}, {k}, {ctx.ActivationArgument});");
        return true;
    }

    /// <summary>
    /// Fraction of zero 1x16 blocks (aligned to the kernel's 16-column panels) from which Gemm/MatMul run on
    /// BlockSparseGemm. Measured with the BlockSparseGemm benchmark (docs/compression.md, ShortRun): at 0.5 the block
    /// kernel took 0.75x the packed kernel's time at 64 rows and 0.82x at one row of 512 columns, but 1.28x at one row
    /// of 64 columns (the digits Gemm); from 0.625 it was faster on every shape (0.62-0.75x), at 0.75 0.32-0.43x.
    /// </summary>
    public static double BlockMinSparsity(int rows) => rows == 1 ? 0.6 : 0.5;

    /// <summary>The fraction of op(b)'s aligned 1x16 blocks (one row of 16 output columns) that are all zero.</summary>
    public static double BlockSparsity(Tensor b, int k, int n, bool transB)
    {
        if (b.Type != DataType.Float || k <= 0 || n <= 0) return 0;
        var w = b.ToFloats();
        int panels = (n + 15) / 16, zero = 0;
        for (int p = 0; p < k; p++)
            for (int panel = 0; panel < panels; panel++)
            {
                bool any = false;
                for (int j = panel * 16; j < System.Math.Min(n, panel * 16 + 16) && !any; j++) any = w[transB ? j * k + p : p * n + j] != 0f;
                if (!any) zero++;
            }
        return (double)zero / ((long)k * panels);
    }

    /// <summary>
    /// Emits y = act(a * alpha * op(b) + bias) on the block-sparse kernel when at least <see cref="BlockMinSparsity"/>(m) of
    /// op(b)'s 1x16 blocks are zero (PruneBlock); false (nothing emitted) otherwise.
    /// </summary>
    public static bool TryEmitBlocks(EmitContext ctx, Tensor b, int m, int n, int k, bool transB, float alpha, string bias)
    {
        if (b.Type != DataType.Float || m <= 0 || n < 16 || k <= 0 || BlockSparsity(b, k, n, transB) < BlockMinSparsity(m)) return false;
        var w = b.ToFloats();
        var (start, rows, values) = BlockSparseLayout.Compress(w, k, n, transB, alpha);
        string hint = ctx.Node.Inputs[1];
        int nonzeros = values.Length;
        ctx.Graph.SparseKernels[ctx.Node] = nonzeros;
        ctx.W.Line($"// block-sparse weights: {rows.Length} of {(long)k * ((n + 15) / 16)} blocks of 1x16 kept");
        ctx.W.Line($"global::EfficientAI.Runtime.BlockSparseGemm.Compute({ctx.In(0)}, {ctx.ConstantTable(new Tensor(DataType.Int32, new[] { start.Length }, start), hint + "_block_start")}, " +
            $"{ctx.ConstantTable(new Tensor(DataType.Int32, new[] { rows.Length }, rows), hint + "_block_rows")}, {ctx.ConstantTable(Tensor.FromFloats(new[] { values.Length }, values), hint + "_block_values")}, " +
            $"{bias}, {ctx.Out(0)}, {m}, {n}, {k}, {ctx.ActivationArgument});");
        return true;
    }

    /// <summary>
    /// Fraction of zero weights from which a Conv (group 1, im2col) runs on Conv2DSparse. Measured with the SparseConv
    /// benchmark (docs/compression.md, two runs) on 3x3 Convs: 1.06-1.47x the packed kernel's time at 0.7, 0.61-0.9x at
    /// 0.9; 0.85 lies between the two measured points.
    /// </summary>
    public const double ConvMinSparsity = 0.85;

    /// <summary>The CSR tables of alpha * op(w) by output column (Conv: w [m, depth] with transB, k = depth, n = m), embedded among the weights.</summary>
    public static (string ColumnStart, string RowIndex, string Values, int Nonzeros) Tables(EmitContext ctx, Tensor b, int k, int n, bool transB, float alpha)
    {
        var w = b.ToFloats();
        var start = new int[n + 1];
        int nonzeros = 0;
        for (int j = 0; j < n; j++)
        {
            for (int p = 0; p < k; p++)
                if (w[transB ? j * k + p : p * n + j] != 0f) nonzeros++;
            start[j + 1] = nonzeros;
        }
        var rows = new int[nonzeros];
        var values = new float[nonzeros];
        int at = 0;
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++)
            {
                float v = w[transB ? j * k + p : p * n + j];
                if (v == 0f) continue;
                rows[at] = p;
                values[at++] = alpha * v;
            }
        string hint = ctx.Node.Inputs[1];
        ctx.Graph.SparseKernels[ctx.Node] = nonzeros;
        return (ctx.ConstantTable(new Tensor(DataType.Int32, new[] { n + 1 }, start), hint + "_csr_start"),
            ctx.ConstantTable(new Tensor(DataType.Int32, new[] { nonzeros }, rows), hint + "_csr_rows"),
            ctx.ConstantTable(Tensor.FromFloats(new[] { nonzeros }, values), hint + "_csr_values"), nonzeros);
    }
}

/// <summary>The runtime's BlockSparseGemm.Compress layout, built at compile time (the generator cannot reference the runtime).</summary>
internal static class BlockSparseLayout
{
    public static (int[] PanelStart, int[] BlockRow, float[] Values) Compress(float[] w, int k, int n, bool transposed, float alpha)
    {
        int panels = (n + 15) / 16;
        var start = new int[panels + 1];
        var rows = new System.Collections.Generic.List<int>();
        var values = new System.Collections.Generic.List<float>();
        for (int panel = 0; panel < panels; panel++)
        {
            for (int p = 0; p < k; p++)
            {
                bool any = false;
                for (int j = panel * 16; j < System.Math.Min(n, panel * 16 + 16); j++) any |= w[transposed ? j * k + p : p * n + j] != 0f;
                if (!any) continue;
                rows.Add(p);
                for (int c = 0; c < 16; c++)
                {
                    int j = panel * 16 + c;
                    values.Add(j < n ? alpha * w[transposed ? j * k + p : p * n + j] : 0f);
                }
            }
            start[panel + 1] = rows.Count;
        }
        return (start, rows.ToArray(), values.ToArray());
    }
}
