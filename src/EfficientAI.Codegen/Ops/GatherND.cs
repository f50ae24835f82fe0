using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>GatherND with batch_dims: output indices.shape[:-1] + data.shape[batch_dims + m:].</summary>
internal sealed class GatherNDOp : Operator
{
    public override string OpType => "GatherND";

    public override void Infer(OpContext ctx)
    {
        if (!DataTypes.IsInteger(ctx.Type(1))) throw ctx.Fail("indices must be integers");
        int b = (int)ctx.Int("batch_dims", 0);
        var (_, _, dims, _) = NDIndexing.Resolve(ctx, b);
        var idx = ctx.Shape(1);
        ctx.SetOutput(0, ctx.Type(0), idx.Take(idx.Length - 1).Concat(ctx.Shape(0).Skip(b + dims.Length)).ToArray());
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var (batch, n, dims, slice) = NDIndexing.Resolve(ctx, (int)ctx.Int("batch_dims", 0));
        var idx = ctx.Const(1)!;
        int block = dims.Aggregate(slice, (a, d) => checked(a * d)), m = dims.Length;
        var map = new int[batch * n * slice];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < n; j++)
            {
                int src = b * block + NDIndexing.Offset(ctx, idx, (b * n + j) * m, dims, slice);
                for (int s = 0; s < slice; s++) map[(b * n + j) * slice + s] = src + s;
            }
        ctx.SetConst(0, TensorMoves.Take(ctx.Const(0)!, ctx.Output(0).RequireShape, o => map[o]));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        if (!DataTypes.IsRuntimeType(ctx.Type(0)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {DataTypes.Name(ctx.Type(0))} is not supported at run time");
        var (batch, n, dims, slice) = NDIndexing.Resolve(ctx, (int)ctx.Int("batch_dims", 0));
        ctx.W.Line($"global::EfficientAI.Runtime.Scatter.GatherND<{DataTypes.CSharp(ctx.Type(0))}, {DataTypes.CSharp(ctx.Type(1))}>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {batch}, {n}, {ctx.IntTable(dims)}, {slice});");
    }
}
