using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Gemm: Y = alpha * op(A) * op(B) + beta * C, C broadcast to [M, N].</summary>
internal sealed class GemmOp : Operator
{
    public override string OpType => "Gemm";

    private static (int M, int N, int K) Dims(OpContext ctx)
    {
        var a = ctx.Shape(0);
        var b = ctx.Shape(1);
        if (a.Length != 2 || b.Length != 2) throw ctx.Fail($"A {Shape.Format(a)} and B {Shape.Format(b)} must be matrices");
        bool ta = ctx.Int("transA", 0) != 0, tb = ctx.Int("transB", 0) != 0;
        int m = ta ? a[1] : a[0], k = ta ? a[0] : a[1];
        int kb = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
        if (k != kb) throw ctx.Fail($"inner dimensions differ: A {Shape.Format(a)} and B {Shape.Format(b)} (transA={(ta ? 1 : 0)}, transB={(tb ? 1 : 0)})");
        return (m, n, k);
    }

    private static (int Rows, int Cols) CShape(OpContext ctx, int m, int n)
    {
        var c = ctx.Shape(2);
        (int r, int cc) = c.Length switch { 0 => (1, 1), 1 => (1, c[0]), 2 => (c[0], c[1]), _ => (-1, -1) };
        if ((r != 1 && r != m) || (cc != 1 && cc != n)) throw ctx.Fail($"C {Shape.Format(c)} does not broadcast to [{m},{n}]");
        return (r, cc);
    }

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        ctx.RequireFloat(1);
        var (m, n, _) = Dims(ctx);
        if (ctx.Has(2)) CShape(ctx, m, n);
        ctx.SetOutput(0, DataType.Float, new[] { m, n });
    }

    /// <summary>alpha * op(A) op(B) + beta * C in double (constant folding, calibration's compile-time run).</summary>
    public override bool TryEvaluate(OpContext ctx)
    {
        var (m, n, k) = Dims(ctx);
        var (cr, cc) = ctx.Has(2) ? CShape(ctx, m, n) : (1, 1);
        bool ta = ctx.Int("transA", 0) != 0, tb = ctx.Int("transB", 0) != 0;
        double alpha = ctx.Float("alpha", 1f), beta = ctx.Float("beta", 1f);
        var a = ctx.Const(0)!.ToFloats();
        var b = ctx.Const(1)!.ToFloats();
        var c = ctx.Has(2) ? ctx.Const(2)!.ToFloats() : null;
        var y = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double)a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
                double v = alpha * sum;
                if (c is not null) v += beta * c[(cr == 1 ? 0 : i) * cc + (cc == 1 ? 0 : j)];
                y[i * n + j] = (float)v;
            }
        ctx.SetConst(0, Tensor.FromFloats(new[] { m, n }, y));
        return true;
    }

    /// <summary>The rows kernel's transposed block of A, when a pruned weight runs on it (SparseWeights).</summary>
    public override long ScratchFloats(OpContext ctx)
    {
        if (ctx.Int("transA", 0) != 0) return 0;
        var (m, _, k) = Dims(ctx);
        return SparseWeights.ScratchFloats(ctx.Const(1), m, k);
    }

    public override long Macs(OpContext ctx)
    {
        var (m, n, k) = Dims(ctx);
        return (long)m * n * k;
    }

    public override void Emit(EmitContext ctx)
    {
        var (m, n, k) = Dims(ctx);
        var (cr, cc) = ctx.Has(2) ? CShape(ctx, m, n) : (1, 1);
        if (TryEmitPacked(ctx, m, n, k, cr, cc)) return;
        string c = ctx.Has(2) ? ctx.In(2) : "default";
        ctx.W.Line($"global::EfficientAI.Runtime.Gemm.Compute({ctx.In(0)}, {ctx.In(1)}, {c}, {ctx.Out(0)}, {m}, {n}, {k}, " +
            $"{EmitContext.B(ctx.Int("transA", 0) != 0)}, {EmitContext.B(ctx.Int("transB", 0) != 0)}, " +
            $"{EmitContext.F(ctx.Float("alpha", 1f))}, {EmitContext.F(ctx.Has(2) ? ctx.Float("beta", 1f) : 0f)}, {cr}, {cc});");
        ctx.EmitActivation(ctx.Out(0));
    }

    /// <summary>
    /// Constant B (the weights) and a C that is absent or a constant row: B packed with alpha at compile time (or, when
    /// pruning left it mostly zero, compressed by column), beta * C folded into a bias vector, one call to the packed
    /// (or sparse) kernel. Otherwise the general kernel runs.
    /// </summary>
    private static bool TryEmitPacked(EmitContext ctx, int m, int n, int k, int cRows, int cCols)
    {
        var b = ctx.Const(1);
        if (b is null || b.Type != DataType.Float || ctx.Int("transA", 0) != 0 || m == 0 || k == 0) return false;
        bool sparse = SparseWeights.Pays(b, m);
        if (!sparse && !PackedWeights.Worthwhile(n)) return false;
        var c = ctx.Has(2) ? ctx.Const(2) : null;
        if (ctx.Has(2) && (c is null || c.Type != DataType.Float || cRows != 1)) return false;
        string bias = "default";
        if (c is not null)
        {
            float beta = ctx.Float("beta", 1f);
            var row = new float[n];
            for (int j = 0; j < n; j++) row[j] = beta * (float)c.GetDouble(cCols == 1 ? 0 : j);
            bias = ctx.ConstantTable(Tensor.FromFloats(new[] { n }, row), ctx.Node.Inputs[2] + "_bias");
        }
        // A pruned weight (Prune) mostly zero: the CSR kernel reads only its nonzeros.
        if (sparse && SparseWeights.TryEmit(ctx, b, m, n, k, ctx.Int("transB", 0) != 0, ctx.Float("alpha", 1f), bias)) return true;
        // Pruned in 1x16 blocks (PruneBlock): the kernel skips the zero blocks.
        if (SparseWeights.TryEmitBlocks(ctx, b, m, n, k, ctx.Int("transB", 0) != 0, ctx.Float("alpha", 1f), bias)) return true;
        var packed = PackedWeights.Pack(b, k, n, ctx.Int("transB", 0) != 0, ctx.Float("alpha", 1f));
        ctx.W.Line($"global::EfficientAI.Runtime.Gemm.ComputePacked({ctx.In(0)}, {ctx.ConstantTable(packed, ctx.Node.Inputs[1] + "_packed")}, {bias}, {ctx.Out(0)}, {m}, {n}, {k}, {ctx.ActivationArgument});");
        return true;
    }
}
