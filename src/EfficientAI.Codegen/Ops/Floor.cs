using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class FloorOp : UnaryOperator
{
    public override string OpType => "Floor";
    protected override float Apply(float x, float alpha, float beta) => MathF.Floor(x);
}
