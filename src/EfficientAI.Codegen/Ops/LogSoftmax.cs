namespace EfficientAI.Codegen.Ops;

internal sealed class LogSoftmaxOp : SoftmaxOp
{
    public override string OpType => "LogSoftmax";
    protected override bool Log => true;
}
