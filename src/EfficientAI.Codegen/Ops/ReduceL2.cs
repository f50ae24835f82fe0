using System;
using System.Linq;

namespace EfficientAI.Codegen.Ops;

internal sealed class ReduceL2Op : ReduceOperator
{
    public override string OpType => "ReduceL2";
    protected override string Kernel => "L2";
    protected override double Fold(double[] v) => Math.Sqrt(v.Sum(x => x * x));
}
