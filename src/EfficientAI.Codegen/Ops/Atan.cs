using System;

namespace EfficientAI.Codegen.Ops;

/// <summary>Atan: y = atan(x), float.</summary>
internal sealed class AtanOp : UnaryOperator
{
    public override string OpType => "Atan";
    protected override float Apply(float x, float alpha, float beta) => (float)(Math.Atan(x));
}
