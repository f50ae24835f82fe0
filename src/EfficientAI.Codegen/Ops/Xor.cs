namespace EfficientAI.Codegen.Ops;

internal sealed class XorOp : LogicalOperator
{
    public override string OpType => "Xor";
    protected override bool Apply(bool a, bool b) => a != b;
}
