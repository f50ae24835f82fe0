using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>LRN: local response normalization across channels (axis 1) of [N, C, ...]: size, alpha, beta, bias.</summary>
internal sealed class LRNOp : Operator
{
    public override string OpType => "LRN";

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        if (ctx.Rank(0) < 2) throw ctx.Fail("input must be [N, C, ...]");
        if (ctx.Int("size", 0) <= 0) throw ctx.Fail("size must be positive");
        ctx.SetOutput(0, DataType.Float, ctx.Shape(0));
    }

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        int inner = 1;
        for (int d = 2; d < x.Length; d++) inner = checked(inner * x[d]);
        ctx.W.Line($"global::EfficientAI.Runtime.Normalization.LocalResponse({ctx.In(0)}, {ctx.Out(0)}, {x[0]}, {x[1]}, {inner}, {ctx.Int("size", 0)}, " +
            $"{EmitContext.F(ctx.Float("alpha", 1e-4f))}, {EmitContext.F(ctx.Float("beta", 0.75f))}, {EmitContext.F(ctx.Float("bias", 1f))});");
    }
}
