using System;
using System.Linq;

namespace EfficientAI.Codegen.Ops;

internal sealed class ReduceLogSumExpOp : ReduceOperator
{
    public override string OpType => "ReduceLogSumExp";
    protected override string Kernel => "LogSumExp";
    protected override double Fold(double[] v) => Math.Log(v.Sum(Math.Exp));
}
