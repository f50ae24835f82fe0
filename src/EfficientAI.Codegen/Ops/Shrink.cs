namespace EfficientAI.Codegen.Ops;

/// <summary>Shrink: x &lt; -lambd ? x + bias : x &gt; lambd ? x - bias : 0 (float inputs).</summary>
internal sealed class ShrinkOp : UnaryOperator
{
    public override string OpType => "Shrink";
    protected override float Alpha(OpContext ctx) => ctx.Float("lambd", 0.5f);
    protected override float Beta(OpContext ctx) => ctx.Float("bias", 0f);
    protected override float Apply(float x, float alpha, float beta) => x < -alpha ? x + beta : x > alpha ? x - beta : 0f;
}
