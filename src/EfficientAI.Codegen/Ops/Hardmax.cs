using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Hardmax: 1 at the first maximum along the axis, 0 elsewhere. Before opset 13 over the input flattened to 2-D at
/// axis (default 1); from 13 over one axis (default -1), as Softmax.
/// </summary>
internal sealed class HardmaxOp : Operator
{
    public override string OpType => "Hardmax";

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        ctx.SetOutput(0, DataType.Float, ctx.Shape(0));
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var (outer, size, inner) = Blocks(ctx);
        var x = ctx.Const(0)!.ToFloats();
        var y = new float[x.Length];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                for (int a = 1; a < size; a++)
                    if (x[(o * size + a) * inner + i] > x[(o * size + best) * inner + i]) best = a;
                if (size > 0) y[(o * size + best) * inner + i] = 1f;
            }
        }
        ctx.SetConst(0, Tensor.FromFloats(ctx.Shape(0), y));
        return true;
    }

    public override int InPlaceInput(OpContext ctx) => 0;

    public override void Emit(EmitContext ctx)
    {
        var (outer, size, inner) = Blocks(ctx);
        ctx.W.Line($"global::EfficientAI.Runtime.Normalization.Hardmax({ctx.In(0)}, {ctx.Out(0)}, {outer}, {size}, {inner});");
    }

    /// <summary>The input as [outer, size, inner] with the reduced axis (or flattened tail) in the middle.</summary>
    private static (int Outer, int Size, int Inner) Blocks(OpContext ctx)
    {
        var x = ctx.Shape(0);
        bool legacy = ctx.Opset < 13;
        int axis = x.Length == 0 ? 0 : Shape.Axis(ctx.Int("axis", legacy ? 1 : -1), x.Length);
        int outer = 1, size = 1, inner = 1;
        for (int d = 0; d < x.Length; d++)
        {
            if (d < axis) outer = checked(outer * x[d]);
            else if (d == axis || legacy) size = checked(size * x[d]);
            else inner = checked(inner * x[d]);
        }
        return (outer, size, inner);
    }
}
