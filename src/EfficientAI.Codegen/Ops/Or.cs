namespace EfficientAI.Codegen.Ops;

internal sealed class OrOp : LogicalOperator
{
    public override string OpType => "Or";
    protected override bool Apply(bool a, bool b) => a || b;
}
