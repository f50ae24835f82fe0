using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class SqrtOp : UnaryOperator
{
    public override string OpType => "Sqrt";
    protected override float Apply(float x, float alpha, float beta) => MathF.Sqrt(x);
}
