using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class TanhOp : UnaryOperator
{
    public override string OpType => "Tanh";
    protected override float Apply(float x, float alpha, float beta) => MathF.Tanh(x);
}
