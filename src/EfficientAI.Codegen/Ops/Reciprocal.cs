using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class ReciprocalOp : UnaryOperator
{
    public override string OpType => "Reciprocal";
    protected override float Apply(float x, float alpha, float beta) => 1f / x;
}
