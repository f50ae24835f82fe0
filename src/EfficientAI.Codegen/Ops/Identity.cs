namespace EfficientAI.Codegen.Ops;

internal sealed class IdentityOp : ViewOperator
{
    public override string OpType => "Identity";
    protected override int[] OutputShape(OpContext ctx) => ctx.Shape(0);
}
