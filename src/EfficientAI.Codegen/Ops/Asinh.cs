using System;

namespace EfficientAI.Codegen.Ops;

/// <summary>Asinh: y = asinh(x), float.</summary>
internal sealed class AsinhOp : UnaryOperator
{
    public override string OpType => "Asinh";
    // netstandard2.0 has no Math.Asinh; folding evaluates its logarithmic form in double.
    protected override float Apply(float x, float alpha, float beta) => (float)(x < 0 ? -Math.Log(-x + Math.Sqrt((double)x * x + 1)) : Math.Log(x + Math.Sqrt((double)x * x + 1)));
}
