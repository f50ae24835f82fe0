namespace EfficientAI.Codegen.Ops;

internal sealed class EqualOp : CompareOperator
{
    public override string OpType => "Equal";
    protected override bool AllowsBool => true;
    protected override bool Apply(double a, double b) => a == b;
    protected override bool ApplyInteger(long a, long b) => a == b;
}
