using System;

namespace EfficientAI.Codegen.Ops;

/// <summary>Acos: y = acos(x), float.</summary>
internal sealed class AcosOp : UnaryOperator
{
    public override string OpType => "Acos";
    protected override float Apply(float x, float alpha, float beta) => (float)(Math.Acos(x));
}
