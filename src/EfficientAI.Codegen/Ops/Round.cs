using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class RoundOp : UnaryOperator
{
    public override string OpType => "Round";
    protected override float Apply(float x, float alpha, float beta) => MathF.Round(x, MidpointRounding.ToEven);
}
