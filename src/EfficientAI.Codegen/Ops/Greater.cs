namespace EfficientAI.Codegen.Ops;

internal sealed class GreaterOp : CompareOperator
{
    public override string OpType => "Greater";
    protected override bool Apply(double a, double b) => a > b;
    protected override bool ApplyInteger(long a, long b) => a > b;
}
