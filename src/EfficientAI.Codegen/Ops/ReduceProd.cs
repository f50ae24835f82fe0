using System;
using System.Linq;

namespace EfficientAI.Codegen.Ops;

internal sealed class ReduceProdOp : ReduceOperator
{
    public override string OpType => "ReduceProd";
    protected override string Kernel => "Prod";
    protected override double Fold(double[] v) => v.Aggregate(1.0, (a, b) => a * b);
}
