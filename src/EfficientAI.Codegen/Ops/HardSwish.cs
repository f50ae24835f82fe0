using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class HardSwishOp : UnaryOperator
{
    public override string OpType => "HardSwish";
    protected override float Apply(float x, float alpha, float beta) => x * Math.Max(0f, Math.Min(1f, x / 6f + 0.5f));
}
