using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class CeilOp : UnaryOperator
{
    public override string OpType => "Ceil";
    protected override float Apply(float x, float alpha, float beta) => MathF.Ceiling(x);
}
