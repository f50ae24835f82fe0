using System;

namespace EfficientAI.Codegen.Ops;

/// <summary>Tan: y = tan(x), float.</summary>
internal sealed class TanOp : UnaryOperator
{
    public override string OpType => "Tan";
    protected override float Apply(float x, float alpha, float beta) => (float)(Math.Tan(x));
}
