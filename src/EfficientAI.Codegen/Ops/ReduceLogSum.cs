using System;
using System.Linq;

namespace EfficientAI.Codegen.Ops;

internal sealed class ReduceLogSumOp : ReduceOperator
{
    public override string OpType => "ReduceLogSum";
    protected override string Kernel => "LogSum";
    protected override double Fold(double[] v) => Math.Log(v.Sum());
}
