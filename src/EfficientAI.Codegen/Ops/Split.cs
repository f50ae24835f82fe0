using System;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Split: sizes from the split attribute (before 13), the split input (from 13), num_outputs (18) or equal parts.</summary>
internal sealed class SplitOp : Operator
{
    public override string OpType => "Split";

    private static (int Axis, int[] Sizes) Resolve(OpContext ctx)
    {
        var x = ctx.Shape(0);
        int axis = Shape.Axis(ctx.Int("axis", 0), x.Length);
        int n = ctx.OutputCount;
        long[]? split = ctx.Opset >= 13 ? (ctx.Has(1) ? ctx.RequireConst(1, "split sizes").ToLongs() : null) : ctx.Ints("split");
        int[] sizes;
        if (split is not null && split.Length > 0) sizes = split.Select(s => checked((int)s)).ToArray();
        else
        {
            int each = (x[axis] + n - 1) / n; // num_outputs (18): the last part may be smaller
            sizes = Enumerable.Range(0, n).Select(i => Math.Max(0, Math.Min(each, x[axis] - i * each))).ToArray();
        }
        if (sizes.Length != n || sizes.Sum() != x[axis] || sizes.Any(s => s < 0))
            throw ctx.Fail($"split sizes [{string.Join(",", sizes)}] do not cover axis {axis} of {Shape.Format(x)} with {n} outputs");
        return (axis, sizes);
    }

    public override void Infer(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var (axis, sizes) = Resolve(ctx);
        for (int i = 0; i < sizes.Length; i++)
        {
            var s = (int[])x.Clone();
            s[axis] = sizes[i];
            ctx.SetOutput(i, ctx.Type(0), s);
        }
    }

    private static (int Outer, int Inner, int Row) Rows(int[] x, int axis)
    {
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer = checked(outer * x[d]);
        for (int d = axis + 1; d < x.Length; d++) inner = checked(inner * x[d]);
        return (outer, inner, checked(x[axis] * inner));
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var (axis, sizes) = Resolve(ctx);
        var (outer, inner, row) = Rows(x, axis);
        var src = ctx.Const(0)!;
        int offset = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            int len = sizes[i] * inner;
            if (ctx.HasOutput(i))
            {
                var t = Tensor.Create(src.Type, ctx.Output(i).RequireShape);
                for (int r = 0; r < outer; r++) Array.Copy(src.Data, r * row + offset, t.Data, r * len, len);
                ctx.SetConst(i, t);
            }
            offset += len;
        }
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        var (axis, sizes) = Resolve(ctx);
        var (outer, inner, row) = Rows(x, axis);
        int offset = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            int len = sizes[i] * inner;
            if (ctx.HasOutput(i) && len > 0)
                ctx.W.Line($"global::EfficientAI.Runtime.Layout.CopyRows({ctx.In(0)}, {offset}, {row}, {ctx.Out(i)}, 0, {len}, {outer}, {len});");
            offset += len;
        }
    }
}
