using System;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Clip: bounds are attributes before opset 11, optional constant inputs from 11.</summary>
internal sealed class ClipOp : UnaryOperator
{
    public override string OpType => "Clip";

    protected override float Alpha(OpContext ctx) => Bound(ctx, 1, "min", float.NegativeInfinity);
    protected override float Beta(OpContext ctx) => Bound(ctx, 2, "max", float.PositiveInfinity);

    protected override float Apply(float x, float alpha, float beta) => Math.Min(Math.Max(x, alpha), beta);

    private static float Bound(OpContext ctx, int input, string attribute, float fallback)
    {
        if (ctx.Opset < 11) return ctx.Float(attribute, fallback);
        if (!ctx.Has(input)) return fallback;
        var t = ctx.RequireConst(input, attribute + " bound");
        return (float)t.GetDouble(0);
    }

    public override bool TryEvaluate(OpContext ctx) => ctx.Type(0) == DataType.Float && base.TryEvaluate(ctx);
}
