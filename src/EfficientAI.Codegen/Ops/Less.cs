namespace EfficientAI.Codegen.Ops;

internal sealed class LessOp : CompareOperator
{
    public override string OpType => "Less";
    protected override bool Apply(double a, double b) => a < b;
    protected override bool ApplyInteger(long a, long b) => a < b;
}
