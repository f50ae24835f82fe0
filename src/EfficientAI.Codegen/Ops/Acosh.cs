using System;

namespace EfficientAI.Codegen.Ops;

/// <summary>Acosh: y = acosh(x), float.</summary>
internal sealed class AcoshOp : UnaryOperator
{
    public override string OpType => "Acosh";
    // netstandard2.0 has no Math.Acosh; folding evaluates its logarithmic form in double.
    protected override float Apply(float x, float alpha, float beta) => (float)(Math.Log(x + Math.Sqrt((double)x * x - 1)));
}
