using System;
using System.Linq;

namespace EfficientAI.Codegen.Ops;

internal sealed class ReduceSumSquareOp : ReduceOperator
{
    public override string OpType => "ReduceSumSquare";
    protected override string Kernel => "SumSquare";
    protected override double Fold(double[] v) => v.Sum(x => x * x);
}
