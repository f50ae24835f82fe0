using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class SoftsignOp : UnaryOperator
{
    public override string OpType => "Softsign";
    protected override float Apply(float x, float alpha, float beta) => x / (1f + Math.Abs(x));
}
