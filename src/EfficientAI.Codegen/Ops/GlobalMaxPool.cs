namespace EfficientAI.Codegen.Ops;

internal sealed class GlobalMaxPoolOp : GlobalPoolOperator
{
    public override string OpType => "GlobalMaxPool";
}
