using System;

namespace EfficientAI.Codegen.Ops;

/// <summary>Cosh: y = cosh(x), float.</summary>
internal sealed class CoshOp : UnaryOperator
{
    public override string OpType => "Cosh";
    protected override float Apply(float x, float alpha, float beta) => (float)(Math.Cosh(x));
}
