namespace EfficientAI.Codegen.Ops;

internal sealed class LessOrEqualOp : CompareOperator
{
    public override string OpType => "LessOrEqual";
    protected override bool Apply(double a, double b) => a <= b;
    protected override bool ApplyInteger(long a, long b) => a <= b;
}
