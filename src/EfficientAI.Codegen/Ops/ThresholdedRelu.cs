namespace EfficientAI.Codegen.Ops;

internal sealed class ThresholdedReluOp : UnaryOperator
{
    public override string OpType => "ThresholdedRelu";
    protected override float Alpha(OpContext ctx) => ctx.Float("alpha", 1f);
    protected override float Apply(float x, float alpha, float beta) => x > alpha ? x : 0f;
}
