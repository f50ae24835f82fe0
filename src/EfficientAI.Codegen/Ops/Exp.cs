using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class ExpOp : UnaryOperator
{
    public override string OpType => "Exp";
    protected override float Apply(float x, float alpha, float beta) => MathF.Exp(x);
}
