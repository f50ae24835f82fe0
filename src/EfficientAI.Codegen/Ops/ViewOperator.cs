using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Ops whose output is input 0's elements under a new shape (Reshape, Flatten, Squeeze, Unsqueeze, Identity).
/// The planner makes the output alias the input; code is emitted only when it cannot (a graph output), as a copy.
/// </summary>
internal abstract class ViewOperator : Operator
{
    public override bool IsView => true;

    protected abstract int[] OutputShape(OpContext ctx);

    public override void Infer(OpContext ctx)
    {
        var shape = OutputShape(ctx);
        if (Shape.Elements(shape) != Shape.Elements(ctx.Shape(0)))
            throw ctx.Fail($"cannot view {Shape.Format(ctx.Shape(0))} as {Shape.Format(shape)}");
        ctx.SetOutput(0, ctx.Type(0), shape);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        ctx.SetConst(0, ctx.Const(0)!.Reshape(ctx.Output(0).RequireShape));
        return true;
    }

    public override void Emit(EmitContext ctx) => ctx.W.Line($"{ctx.In(0)}.CopyTo({ctx.Out(0)});");

    /// <summary>Axes from the "axes" attribute (older opsets) or a constant input (newer), normalized.</summary>
    protected static int[]? Axes(OpContext ctx, int inputIndex, int fromOpset, int rank)
    {
        long[]? raw = ctx.Opset >= fromOpset
            ? (ctx.Has(inputIndex) ? ctx.RequireConst(inputIndex, "axes").ToLongs() : null)
            : ctx.Ints("axes");
        if (raw is null) return null;
        var axes = new int[raw.Length];
        for (int i = 0; i < raw.Length; i++) axes[i] = Shape.Axis(raw[i], rank);
        return axes;
    }
}
