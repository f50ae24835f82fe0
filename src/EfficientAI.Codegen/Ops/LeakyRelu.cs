using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class LeakyReluOp : UnaryOperator
{
    public override string OpType => "LeakyRelu";
    protected override float Alpha(OpContext ctx) => ctx.Float("alpha", 0.01f);
    protected override float Apply(float x, float alpha, float beta) => x < 0 ? alpha * x : x;
}
