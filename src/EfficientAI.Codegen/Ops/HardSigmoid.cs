using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class HardSigmoidOp : UnaryOperator
{
    public override string OpType => "HardSigmoid";
    protected override float Alpha(OpContext ctx) => ctx.Float("alpha", 0.2f);
    protected override float Beta(OpContext ctx) => ctx.Float("beta", 0.5f);
    protected override float Apply(float x, float alpha, float beta) => Math.Max(0f, Math.Min(1f, alpha * x + beta));
}
