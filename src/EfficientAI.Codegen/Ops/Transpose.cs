using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Transpose; perm defaults to reversing the axes.</summary>
internal sealed class TransposeOp : Operator
{
    public override string OpType => "Transpose";

    public static int[] Perm(OpContext ctx)
    {
        int rank = ctx.Rank(0);
        var perm = ctx.IntArray("perm") ?? Enumerable.Range(0, rank).Reverse().ToArray();
        if (perm.Length != rank || perm.OrderBy(p => p).Where((p, i) => p != i).Any())
            throw ctx.Fail($"perm [{string.Join(",", perm)}] is not a permutation of rank {rank}");
        return perm;
    }

    public override void Infer(OpContext ctx)
    {
        var x = ctx.Shape(0);
        ctx.SetOutput(0, ctx.Type(0), Perm(ctx).Select(p => x[p]).ToArray());
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var map = TensorMoves.TransposeMap(ctx.Shape(0), Perm(ctx));
        ctx.SetConst(0, TensorMoves.Take(ctx.Const(0)!, ctx.Output(0).RequireShape, o => map[o]));
        return true;
    }

    public override void Emit(EmitContext ctx) =>
        ctx.W.Line($"global::EfficientAI.Runtime.Layout.Transpose({ctx.In(0)}, {ctx.Out(0)}, {ctx.IntTable(ctx.Shape(0))}, {ctx.IntTable(Perm(ctx))});");
}
