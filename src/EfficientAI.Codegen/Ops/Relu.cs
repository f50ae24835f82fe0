using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class ReluOp : UnaryOperator
{
    public override string OpType => "Relu";
    protected override float Apply(float x, float alpha, float beta) => x > 0 ? x : 0;
}
