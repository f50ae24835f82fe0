using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class CosOp : UnaryOperator
{
    public override string OpType => "Cos";
    protected override float Apply(float x, float alpha, float beta) => MathF.Cos(x);
}
