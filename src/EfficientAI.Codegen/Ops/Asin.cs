using System;

namespace EfficientAI.Codegen.Ops;

/// <summary>Asin: y = asin(x), float.</summary>
internal sealed class AsinOp : UnaryOperator
{
    public override string OpType => "Asin";
    protected override float Apply(float x, float alpha, float beta) => (float)(Math.Asin(x));
}
