namespace EfficientAI.Codegen.Ops;

internal sealed class SignOp : UnaryOperator
{
    public override string OpType => "Sign";
    protected override float Apply(float x, float alpha, float beta) => x > 0 ? 1f : x < 0 ? -1f : x;
}
