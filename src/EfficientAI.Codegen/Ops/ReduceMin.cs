using System;
using System.Linq;

namespace EfficientAI.Codegen.Ops;

internal sealed class ReduceMinOp : ReduceOperator
{
    public override string OpType => "ReduceMin";
    protected override string Kernel => "Min";
    protected override double Fold(double[] v) => v.Length == 0 ? double.PositiveInfinity : v.Min();
}
