namespace EfficientAI.Codegen.Ops;

internal sealed class AndOp : LogicalOperator
{
    public override string OpType => "And";
    protected override bool Apply(bool a, bool b) => a && b;
}
