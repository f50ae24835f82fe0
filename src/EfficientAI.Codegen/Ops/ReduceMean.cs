using System;
using System.Linq;

namespace EfficientAI.Codegen.Ops;

internal sealed class ReduceMeanOp : ReduceOperator
{
    public override string OpType => "ReduceMean";
    protected override string Kernel => "Mean";
    protected override double Fold(double[] v) => v.Length == 0 ? double.NaN : v.Sum() / v.Length;
}
