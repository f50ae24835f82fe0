using EfficientAI.Codegen.Emit;

namespace EfficientAI.Codegen.Ops;

/// <summary>RNN (opset 1-14): H = f(X W^T + H R^T + Wb + Rb), clip, every direction and layout.</summary>
internal sealed class RnnOp : RecurrentOperator
{
    public override string OpType => "RNN";
    protected override int Gates => 1;
    protected override string[] DefaultActivations => new[] { "Tanh" };

    public override void Emit(EmitContext ctx)
    {
        var g = Resolve(ctx);
        Comment(ctx, g);
        ctx.W.Line($"global::EfficientAI.Runtime.Recurrent.Rnn({CommonInputs(ctx, g)}, {OptionalOutput(ctx, 0)}, {OptionalOutput(ctx, 1)}, " +
            $"{ctx.Scratch}, {Tail(ctx, g)});");
    }
}
