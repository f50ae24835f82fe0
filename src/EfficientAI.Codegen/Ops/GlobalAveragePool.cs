namespace EfficientAI.Codegen.Ops;

internal sealed class GlobalAveragePoolOp : GlobalPoolOperator
{
    public override string OpType => "GlobalAveragePool";
}
