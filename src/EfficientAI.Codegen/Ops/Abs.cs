using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class AbsOp : UnaryOperator
{
    public override string OpType => "Abs";
    protected override float Apply(float x, float alpha, float beta) => Math.Abs(x);
}
