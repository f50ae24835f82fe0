using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class EluOp : UnaryOperator
{
    public override string OpType => "Elu";
    protected override float Alpha(OpContext ctx) => ctx.Float("alpha", 1f);
    protected override float Apply(float x, float alpha, float beta) => x > 0 ? x : alpha * (MathF.Exp(x) - 1f);
}
