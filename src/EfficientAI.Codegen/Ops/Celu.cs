using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class CeluOp : UnaryOperator
{
    public override string OpType => "Celu";
    protected override float Alpha(OpContext ctx) => ctx.Float("alpha", 1f);
    protected override float Apply(float x, float alpha, float beta) => Math.Max(0f, x) + Math.Min(0f, alpha * (MathF.Exp(x / alpha) - 1f));
}
