using System;
using System.Linq;

namespace EfficientAI.Codegen.Ops;

internal sealed class ReduceL1Op : ReduceOperator
{
    public override string OpType => "ReduceL1";
    protected override string Kernel => "L1";
    protected override double Fold(double[] v) => v.Sum(Math.Abs);
}
