using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class SinOp : UnaryOperator
{
    public override string OpType => "Sin";
    protected override float Apply(float x, float alpha, float beta) => MathF.Sin(x);
}
