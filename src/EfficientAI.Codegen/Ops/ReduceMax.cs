using System;
using System.Linq;

namespace EfficientAI.Codegen.Ops;

internal sealed class ReduceMaxOp : ReduceOperator
{
    public override string OpType => "ReduceMax";
    protected override string Kernel => "Max";
    protected override double Fold(double[] v) => v.Length == 0 ? double.NegativeInfinity : v.Max();
}
