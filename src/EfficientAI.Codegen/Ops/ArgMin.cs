namespace EfficientAI.Codegen.Ops;

internal sealed class ArgMinOp : ArgReduceOperator
{
    public override string OpType => "ArgMin";
    protected override bool IsMax => false;
}
