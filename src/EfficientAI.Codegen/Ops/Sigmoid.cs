using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class SigmoidOp : UnaryOperator
{
    public override string OpType => "Sigmoid";
    protected override float Apply(float x, float alpha, float beta) => 1f / (1f + MathF.Exp(-x));
}
