using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Compress: the slices along axis (or the elements of the flattened input, without axis) where the 1-D bool
/// condition is true. The count of true values is the output size, so the condition must be constant.
/// </summary>
internal sealed class CompressOp : Operator
{
    public override string OpType => "Compress";

    private sealed record Selection(int Outer, int Size, int Inner, int[] Kept, int[] OutputShape);

    private static Selection Select(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var condition = ctx.RequireConst(1, "condition");
        if (condition.Shape.Length != 1) throw ctx.Fail($"condition must be 1-D, not {Shape.Format(condition.Shape)}");
        bool flat = !ctx.HasAttr("axis");
        int axis = flat ? 0 : Shape.Axis(ctx.Int("axis", 0), x.Length);
        int size = flat ? Shape.ElementsInt(x) : x[axis];
        if (condition.Length > size) throw ctx.Fail($"condition has {condition.Length} values, more than the {size} it selects from");
        // Values past the condition's end count as false.
        var kept = new List<int>();
        for (int i = 0; i < condition.Length; i++) if (condition.GetLong(i) != 0) kept.Add(i);
        int outer = 1, inner = 1;
        if (!flat)
        {
            for (int d = 0; d < axis; d++) outer = checked(outer * x[d]);
            for (int d = axis + 1; d < x.Length; d++) inner = checked(inner * x[d]);
        }
        var shape = flat ? new[] { kept.Count } : x.Select((d, i) => i == axis ? kept.Count : d).ToArray();
        return new Selection(outer, size, inner, kept.ToArray(), shape);
    }

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, ctx.Type(0), Select(ctx).OutputShape);

    public override bool TryEvaluate(OpContext ctx)
    {
        var s = Select(ctx);
        int n = s.Kept.Length;
        ctx.SetConst(0, TensorMoves.Take(ctx.Const(0)!, s.OutputShape, o =>
        {
            int i = o % s.Inner, rest = o / s.Inner, j = rest % n, r = rest / n;
            return (r * s.Size + s.Kept[j]) * s.Inner + i;
        }));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var s = Select(ctx);
        int n = s.Kept.Length;
        if (n == 0) return;
        ctx.W.Open("");
        ctx.W.Line($"var eai_x = {ctx.In(0)}; var eai_y = {ctx.Out(0)}; var eai_kept = {ctx.IntTable(s.Kept)};");
        ctx.W.Open($"for (int eai_r = 0; eai_r < {s.Outer}; eai_r++)");
        ctx.W.Line($"for (int eai_j = 0; eai_j < {n}; eai_j++) eai_x.Slice((eai_r * {s.Size} + eai_kept[eai_j]) * {s.Inner}, {s.Inner}).CopyTo(eai_y.Slice((eai_r * {n} + eai_j) * {s.Inner}, {s.Inner}));");
        ctx.W.Close();
        ctx.W.Close();
    }
}
