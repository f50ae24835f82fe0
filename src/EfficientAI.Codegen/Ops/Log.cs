using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class LogOp : UnaryOperator
{
    public override string OpType => "Log";
    protected override float Apply(float x, float alpha, float beta) => MathF.Log(x);
}
