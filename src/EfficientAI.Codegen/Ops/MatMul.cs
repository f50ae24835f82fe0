using System;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>MatMul with numpy semantics: 1-D operands promoted, batch dimensions broadcast.</summary>
internal sealed class MatMulOp : Operator
{
    public override string OpType => "MatMul";

    internal sealed record Plan(int M, int N, int K, int[] OutShape, int[] BatchShape, int[] ABatchStrides, int[] BBatchStrides);

    internal static Plan Resolve(OpContext ctx) => Resolve(ctx, 0, 1);

    /// <summary>The product of inputs aInput and bInput (MatMulInteger and QLinearMatMul have others between them).</summary>
    internal static Plan Resolve(OpContext ctx, int aInput, int bInput)
    {
        var a = ctx.Shape(aInput);
        var b = ctx.Shape(bInput);
        if (a.Length == 0 || b.Length == 0) throw ctx.Fail("MatMul operands must have rank >= 1");
        var a2 = a.Length == 1 ? new[] { 1, a[0] } : a;
        var b2 = b.Length == 1 ? new[] { b[0], 1 } : b;
        int m = a2[a2.Length - 2], k = a2[a2.Length - 1], kb = b2[b2.Length - 2], n = b2[b2.Length - 1];
        if (k != kb) throw ctx.Fail($"inner dimensions differ: {Shape.Format(a)} x {Shape.Format(b)}");
        var aBatch = a2.Take(a2.Length - 2).ToArray();
        var bBatch = b2.Take(b2.Length - 2).ToArray();
        var batch = Shape.Broadcast(aBatch, bBatch) ?? throw ctx.Fail($"batch dimensions of {Shape.Format(a)} and {Shape.Format(b)} do not broadcast");
        var outShape = batch.ToList();
        if (a.Length > 1) outShape.Add(m);
        if (b.Length > 1) outShape.Add(n);
        // Strides of each batch index into a and b, counted in matrices.
        var aStr = Shape.BroadcastStrides(aBatch, batch).Select(s => checked(s * m * k)).ToArray();
        var bStr = Shape.BroadcastStrides(bBatch, batch).Select(s => checked(s * k * n)).ToArray();
        return new Plan(m, n, k, outShape.ToArray(), batch, aStr, bStr);
    }

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        ctx.RequireFloat(1);
        ctx.SetOutput(0, DataType.Float, Resolve(ctx).OutShape);
    }

    /// <summary>Batched products in double (constant folding, calibration's compile-time run).</summary>
    public override bool TryEvaluate(OpContext ctx)
    {
        var p = Resolve(ctx);
        var a = ctx.Const(0)!.ToFloats();
        var b = ctx.Const(1)!.ToFloats();
        int batches = Shape.ElementsInt(p.BatchShape), r = p.BatchShape.Length;
        var y = new float[batches * p.M * p.N];
        var index = new int[r];
        for (int batch = 0; batch < batches; batch++)
        {
            int aBase = 0, bBase = 0;
            for (int d = 0; d < r; d++)
            {
                aBase += index[d] * p.ABatchStrides[d];
                bBase += index[d] * p.BBatchStrides[d];
            }
            for (int i = 0; i < p.M; i++)
                for (int j = 0; j < p.N; j++)
                {
                    double sum = 0;
                    for (int q = 0; q < p.K; q++) sum += (double)a[aBase + i * p.K + q] * b[bBase + q * p.N + j];
                    y[(batch * p.M + i) * p.N + j] = (float)sum;
                }
            for (int d = r - 1; d >= 0 && ++index[d] == p.BatchShape[d]; d--) index[d] = 0;
        }
        ctx.SetConst(0, Tensor.FromFloats(p.OutShape, y));
        return true;
    }

    /// <summary>The rows kernel's transposed block of A, when a pruned [k, n] weight runs on it (SparseWeights).</summary>
    public override long ScratchFloats(OpContext ctx)
    {
        var b = ctx.Const(1);
        if (b is null || ctx.Shape(1).Length != 2) return 0;
        var p = Resolve(ctx);
        return p.K == 0 ? 0 : SparseWeights.ScratchFloats(b, checked((int)(Shape.Elements(ctx.Shape(0)) / p.K)), p.K);
    }

    public override long Macs(OpContext ctx)
    {
        var p = Resolve(ctx);
        return Shape.Elements(p.BatchShape) * p.M * p.N * p.K;
    }

    public override void Emit(EmitContext ctx)
    {
        var p = Resolve(ctx);
        int batches = Shape.ElementsInt(p.BatchShape);
        var b = ctx.Const(1);
        // A pruned [k, n] weight (Prune) mostly zero: the rows of A (all batches) against its nonzeros only.
        if (b is not null && ctx.Shape(1).Length == 2 && p.K > 0 &&
            SparseWeights.TryEmit(ctx, b, checked((int)(Shape.Elements(ctx.Shape(0)) / p.K)), p.N, p.K, transB: false, alpha: 1f, "default")) return;
        // Pruned in 1x16 blocks (PruneBlock): the kernel skips the zero blocks.
        if (b is not null && ctx.Shape(1).Length == 2 && p.K > 0 &&
            SparseWeights.TryEmitBlocks(ctx, b, checked((int)(Shape.Elements(ctx.Shape(0)) / p.K)), p.N, p.K, transB: false, alpha: 1f, "default")) return;
        if (b is not null && b.Type == DataType.Float && ctx.Shape(1).Length == 2 && p.K > 0 && PackedWeights.Worthwhile(p.N))
        {
            // Constant [k, n] weights: every batch of A shares them, so A's rows (all batches) are one GEMM against
            // the weights packed at compile time.
            int rows = checked((int)(Shape.Elements(ctx.Shape(0)) / p.K));
            if (rows == 0) return;
            var packed = PackedWeights.Pack(b, p.K, p.N, transB: false, alpha: 1f);
            ctx.W.Line($"global::EfficientAI.Runtime.Gemm.ComputePacked({ctx.In(0)}, {ctx.ConstantTable(packed, ctx.Node.Inputs[1] + "_packed")}, default, {ctx.Out(0)}, {rows}, {p.N}, {p.K}, {ctx.ActivationArgument});");
            return;
        }
        if (batches == 1)
        {
            ctx.W.Line($"global::EfficientAI.Runtime.Gemm.Compute({ctx.In(0)}, {ctx.In(1)}, default, {ctx.Out(0)}, {p.M}, {p.N}, {p.K}, false, false, 1f, 0f, 1, 1);");
            ctx.EmitActivation(ctx.Out(0));
            return;
        }
        var (aOff, bOff) = BatchOffsets(p);
        ctx.W.Line($"global::EfficientAI.Runtime.Gemm.MatMulBatched({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {p.M}, {p.N}, {p.K}, {ctx.IntTable(aOff)}, {ctx.IntTable(bOff)});");
        ctx.EmitActivation(ctx.Out(0));
    }

    /// <summary>Element offsets of every batch's a and b matrices.</summary>
    internal static (int[] A, int[] B) BatchOffsets(Plan p)
    {
        int batches = Shape.ElementsInt(p.BatchShape);
        var aOff = new int[batches];
        var bOff = new int[batches];
        Elementwise.ForEachIndex(p.BatchShape, p.ABatchStrides, p.BBatchStrides, (o, ia, ib) => { aOff[o] = ia; bOff[o] = ib; });
        return (aOff, bOff);
    }
}
