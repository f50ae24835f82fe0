using System;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Slice: starts/ends/axes as attributes before opset 10, constant inputs (with steps) from 10.</summary>
internal sealed class SliceOp : Operator
{
    public override string OpType => "Slice";

    private static (int[] Starts, int[] Steps, int[] OutShape) Resolve(OpContext ctx)
    {
        var x = ctx.Shape(0);
        int rank = x.Length;
        long[] starts, ends;
        long[]? axes, steps = null;
        if (ctx.Opset < 10)
        {
            starts = ctx.Ints("starts") ?? throw ctx.Fail("starts is required");
            ends = ctx.Ints("ends") ?? throw ctx.Fail("ends is required");
            axes = ctx.Ints("axes");
        }
        else
        {
            starts = ctx.RequireConst(1, "starts").ToLongs();
            ends = ctx.RequireConst(2, "ends").ToLongs();
            axes = ctx.Has(3) ? ctx.RequireConst(3, "axes").ToLongs() : null;
            steps = ctx.Has(4) ? ctx.RequireConst(4, "steps").ToLongs() : null;
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        if (ends.Length != starts.Length || axes.Length != starts.Length || (steps is not null && steps.Length != starts.Length))
            throw ctx.Fail("starts, ends, axes and steps must have the same length");
        var outStart = new int[rank];
        var outStep = Enumerable.Repeat(1, rank).ToArray();
        var outShape = (int[])x.Clone();
        for (int i = 0; i < starts.Length; i++)
        {
            int a = Shape.Axis(axes[i], rank);
            long dim = x[a], step = steps?[i] ?? 1;
            if (step == 0) throw ctx.Fail("steps must not be 0");
            long s = starts[i], e = ends[i];
            if (s < 0) s += dim;
            if (e < 0) e += dim;
            if (step > 0)
            {
                s = Math.Max(0, Math.Min(dim, s));
                e = Math.Max(0, Math.Min(dim, e));
            }
            else
            {
                s = Math.Max(-1, Math.Min(dim - 1, s));
                e = Math.Max(-1, Math.Min(dim - 1, e));
            }
            long count = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
            outShape[a] = (int)Math.Max(0, count);
            outStart[a] = (int)Math.Max(0, s);
            outStep[a] = checked((int)step);
        }
        return (outStart, outStep, outShape);
    }

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, ctx.Type(0), Resolve(ctx).OutShape);

    public override bool TryEvaluate(OpContext ctx)
    {
        var (starts, steps, outShape) = Resolve(ctx);
        var strides = Shape.Strides(ctx.Shape(0));
        int baseOffset = starts.Select((s, i) => s * strides[i]).Sum();
        var stepStrides = steps.Select((s, i) => s * strides[i]).ToArray();
        var map = new int[Shape.ElementsInt(outShape)];
        Elementwise.ForEachIndex(outShape, stepStrides, new int[outShape.Length], (o, src, _) => map[o] = baseOffset + src);
        ctx.SetConst(0, TensorMoves.Take(ctx.Const(0)!, outShape, o => map[o]));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var (starts, steps, outShape) = Resolve(ctx);
        if (Shape.Elements(outShape) == 0) return;
        ctx.W.Line($"global::EfficientAI.Runtime.Layout.Slice({ctx.In(0)}, {ctx.Out(0)}, {ctx.IntTable(ctx.Shape(0))}, {ctx.IntTable(starts)}, {ctx.IntTable(steps)}, {ctx.IntTable(outShape)});");
    }
}
