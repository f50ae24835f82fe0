namespace EfficientAI.Codegen.Ops;

internal sealed class ArgMaxOp : ArgReduceOperator
{
    public override string OpType => "ArgMax";
    protected override bool IsMax => true;
}
