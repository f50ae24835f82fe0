using EfficientAI.Codegen.Emit;

namespace EfficientAI.Codegen.Ops;

/// <summary>LSTM (opset 1-14): gates i, o, f, c; peepholes, input_forget, clip, every direction and layout.</summary>
internal sealed class LstmOp : RecurrentOperator
{
    public override string OpType => "LSTM";
    protected override int Gates => 4;
    protected override string[] DefaultActivations => new[] { "Sigmoid", "Tanh", "Tanh" };
    protected override int MaxOutputs => 3;

    public override void Emit(EmitContext ctx)
    {
        var g = Resolve(ctx);
        Comment(ctx, g);
        string Optional(int i) => ctx.Has(i) ? ctx.In(i) : "default";
        ctx.W.Line($"global::EfficientAI.Runtime.Recurrent.Lstm({CommonInputs(ctx, g)}, {Optional(6)}, {Optional(7)}, " +
            $"{OptionalOutput(ctx, 0)}, {OptionalOutput(ctx, 1)}, {OptionalOutput(ctx, 2)}, {ctx.Scratch}, {Tail(ctx, g)}, " +
            $"{EmitContext.B(ctx.Int("input_forget", 0) != 0)});");
    }
}
