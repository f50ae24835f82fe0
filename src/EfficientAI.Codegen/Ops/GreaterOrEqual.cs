namespace EfficientAI.Codegen.Ops;

internal sealed class GreaterOrEqualOp : CompareOperator
{
    public override string OpType => "GreaterOrEqual";
    protected override bool Apply(double a, double b) => a >= b;
    protected override bool ApplyInteger(long a, long b) => a >= b;
}
