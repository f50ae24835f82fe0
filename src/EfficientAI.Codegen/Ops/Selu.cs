using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class SeluOp : UnaryOperator
{
    public override string OpType => "Selu";
    protected override float Alpha(OpContext ctx) => ctx.Float("alpha", 1.67326319217681884765625f);
    protected override float Beta(OpContext ctx) => ctx.Float("gamma", 1.05070102214813232421875f);
    protected override float Apply(float x, float alpha, float beta) => beta * (x > 0 ? x : alpha * (MathF.Exp(x) - 1f));
}
