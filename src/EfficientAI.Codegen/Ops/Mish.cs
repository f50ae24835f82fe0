using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class MishOp : UnaryOperator
{
    public override string OpType => "Mish";
    protected override float Apply(float x, float alpha, float beta) =>
        (float)(x * Math.Tanh(Math.Max(x, 0.0) + Math.Log(1.0 + Math.Exp(-Math.Abs((double)x)))));
}
