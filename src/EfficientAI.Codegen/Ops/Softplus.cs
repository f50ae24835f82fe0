using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class SoftplusOp : UnaryOperator
{
    public override string OpType => "Softplus";
    protected override float Apply(float x, float alpha, float beta) => MathF.Log(1f + MathF.Exp(x));
}
