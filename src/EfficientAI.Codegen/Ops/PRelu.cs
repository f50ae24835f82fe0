using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>PRelu: y = x &lt; 0 ? slope * x : x, slope broadcast to x (unidirectionally; before opset 7 a per-channel slope).</summary>
internal sealed class PReluOp : Operator
{
    public override string OpType => "PRelu";

    /// <summary>The slope shape aligned for broadcasting: old opsets give [C] for an [N,C,...] input.</summary>
    private static int[] SlopeShape(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var s = ctx.Shape(1);
        if (ctx.Opset < 7 && s.Length == 1 && x.Length > 2 && s[0] == x[1] && x[x.Length - 1] != s[0])
        {
            var aligned = new int[x.Length - 1];
            for (int i = 0; i < aligned.Length; i++) aligned[i] = 1;
            aligned[0] = s[0];
            return aligned;
        }
        return s;
    }

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        ctx.RequireFloat(1);
        var x = ctx.Shape(0);
        if (!Shape.Equal(Shape.Broadcast(x, SlopeShape(ctx)), x))
            throw ctx.Fail($"slope {Shape.Format(ctx.Shape(1))} does not broadcast to the input {Shape.Format(x)}");
        ctx.SetOutput(0, DataType.Float, x);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var x = ctx.Const(0)!.ToFloats();
        var slope = ctx.Const(1)!.ToFloats();
        var shape = ctx.Shape(0);
        var y = new float[x.Length];
        Elementwise.ForEachIndex(shape, Shape.Strides(shape), Shape.BroadcastStrides(SlopeShape(ctx), shape), (o, ix, isl) =>
            y[o] = x[ix] < 0 ? slope[isl] * x[ix] : x[ix]);
        ctx.SetConst(0, Tensor.FromFloats(shape, y));
        return true;
    }

    public override int InPlaceInput(OpContext ctx) => 0;

    public override void Emit(EmitContext ctx)
    {
        var shape = ctx.Shape(0);
        ctx.W.Line($"global::EfficientAI.Runtime.Arithmetic.PRelu({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {ctx.IntTable(shape)}, " +
            $"{ctx.IntTable(Shape.Strides(shape))}, {ctx.IntTable(Shape.BroadcastStrides(SlopeShape(ctx), shape))});");
    }
}
