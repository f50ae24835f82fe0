using System;

namespace EfficientAI.Codegen.Ops;

/// <summary>Sinh: y = sinh(x), float.</summary>
internal sealed class SinhOp : UnaryOperator
{
    public override string OpType => "Sinh";
    protected override float Apply(float x, float alpha, float beta) => (float)(Math.Sinh(x));
}
