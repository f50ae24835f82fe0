using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Gather along an axis; indices may be negative. Run-time indices are bounds-checked by the span indexer.</summary>
internal sealed class GatherOp : Operator
{
    public override string OpType => "Gather";

    public override void Infer(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var idx = ctx.Shape(1);
        if (!DataTypes.IsInteger(ctx.Type(1))) throw ctx.Fail("indices must be integers");
        int axis = Shape.Axis(ctx.Int("axis", 0), x.Length);
        ctx.SetOutput(0, ctx.Type(0), x.Take(axis).Concat(idx).Concat(x.Skip(axis + 1)).ToArray());
    }

    private static (int Outer, int AxisSize, int Inner) Geometry(OpContext ctx)
    {
        var x = ctx.Shape(0);
        int axis = Shape.Axis(ctx.Int("axis", 0), x.Length);
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer = checked(outer * x[d]);
        for (int d = axis + 1; d < x.Length; d++) inner = checked(inner * x[d]);
        return (outer, x[axis], inner);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var (outer, size, inner) = Geometry(ctx);
        var x = ctx.Const(0)!;
        var idx = ctx.Const(1)!;
        int n = idx.Length;
        var index = new int[n];
        for (int j = 0; j < n; j++)
        {
            long v = idx.GetLong(j);
            if (v < 0) v += size;
            if (v < 0 || v >= size) throw ctx.Fail($"index {idx.GetLong(j)} is out of range for axis size {size}");
            index[j] = (int)v;
        }
        ctx.SetConst(0, TensorMoves.Take(x, ctx.Output(0).RequireShape, o =>
        {
            int i = o % inner, rest = o / inner, j = rest % System.Math.Max(n, 1), r = rest / System.Math.Max(n, 1);
            return (r * size + index[j]) * inner + i;
        }));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var (outer, size, inner) = Geometry(ctx);
        int n = Shape.ElementsInt(ctx.Shape(1));
        ctx.W.Open("");
        ctx.W.Line($"var eai_x = {ctx.In(0)}; var eai_indices = {ctx.In(1)}; var eai_y = {ctx.Out(0)};");
        ctx.W.Open($"for (int eai_r = 0; eai_r < {outer}; eai_r++)");
        ctx.W.Open($"for (int eai_j = 0; eai_j < {n}; eai_j++)");
        ctx.W.Line($"long eai_k = eai_indices[eai_j]; if (eai_k < 0) eai_k += {size};");
        ctx.W.Line($"if ((ulong)eai_k >= {size}UL) throw new global::System.IndexOutOfRangeException(\"Gather index out of range\");");
        ctx.W.Line($"eai_x.Slice((eai_r * {size} + (int)eai_k) * {inner}, {inner}).CopyTo(eai_y.Slice((eai_r * {n} + eai_j) * {inner}, {inner}));");
        ctx.W.Close();
        ctx.W.Close();
        ctx.W.Close();
    }
}
