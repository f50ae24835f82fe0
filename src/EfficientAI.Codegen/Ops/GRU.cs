using EfficientAI.Codegen.Emit;

namespace EfficientAI.Codegen.Ops;

/// <summary>GRU (opset 1-14): gates z, r, h; linear_before_reset, clip, every direction and layout.</summary>
internal sealed class GruOp : RecurrentOperator
{
    public override string OpType => "GRU";
    protected override int Gates => 3;
    protected override string[] DefaultActivations => new[] { "Sigmoid", "Tanh" };

    public override void Emit(EmitContext ctx)
    {
        var g = Resolve(ctx);
        Comment(ctx, g);
        ctx.W.Line($"global::EfficientAI.Runtime.Recurrent.Gru({CommonInputs(ctx, g)}, {OptionalOutput(ctx, 0)}, {OptionalOutput(ctx, 1)}, " +
            $"{ctx.Scratch}, {Tail(ctx, g)}, {EmitContext.B(ctx.Int("linear_before_reset", 0) != 0)});");
    }
}
