using System;
using System.Linq;

namespace EfficientAI.Codegen.Ops;

internal sealed class ReduceSumOp : ReduceOperator
{
    public override string OpType => "ReduceSum";
    protected override string Kernel => "Sum";
    protected override int AxesInputSince => 13;
    protected override double Fold(double[] v) => v.Sum();
}
