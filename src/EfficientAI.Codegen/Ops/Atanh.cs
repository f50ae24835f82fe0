using System;

namespace EfficientAI.Codegen.Ops;

/// <summary>Atanh: y = atanh(x), float.</summary>
internal sealed class AtanhOp : UnaryOperator
{
    public override string OpType => "Atanh";
    // netstandard2.0 has no Math.Atanh; folding evaluates its logarithmic form in double.
    protected override float Apply(float x, float alpha, float beta) => (float)(0.5 * Math.Log((1.0 + x) / (1.0 - x)));
}
