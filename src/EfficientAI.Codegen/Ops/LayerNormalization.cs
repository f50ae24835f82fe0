using System;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// LayerNormalization (opset 17): normalize over the axes from axis on; scale and optional bias broadcast to those
/// axes (expanded at compile time when constant and smaller). Optional outputs Mean and InvStdDev.
/// </summary>
internal sealed class LayerNormalizationOp : Operator
{
    public override string OpType => "LayerNormalization";

    private static (int Axis, int Rows, int N) Geometry(OpContext ctx)
    {
        var x = ctx.Shape(0);
        int axis = Shape.Axis(ctx.Int("axis", -1), x.Length);
        int rows = 1, n = 1;
        for (int d = 0; d < x.Length; d++)
            if (d < axis) rows = checked(rows * x[d]); else n = checked(n * x[d]);
        return (axis, rows, n);
    }

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        var x = ctx.Shape(0);
        var (axis, _, n) = Geometry(ctx);
        var normalized = x.Skip(axis).ToArray();
        for (int i = 1; i <= 2; i++)
        {
            if (!ctx.Has(i)) continue;
            ctx.RequireFloat(i);
            if (!Shape.Equal(Shape.Broadcast(normalized, ctx.Shape(i)), normalized))
                throw ctx.Fail($"{(i == 1 ? "scale" : "bias")} {Shape.Format(ctx.Shape(i))} does not broadcast to the normalized axes {Shape.Format(normalized)}");
            if (Shape.Elements(ctx.Shape(i)) != n && ctx.Const(i) is null)
                throw ctx.Fail($"{(i == 1 ? "scale" : "bias")} {Shape.Format(ctx.Shape(i))} is computed at run time and smaller than the normalized axes {Shape.Format(normalized)}; only constant ones are broadcast");
        }
        if (ctx.Int("stash_type", 1) != 1) throw ctx.Fail("stash_type must be 1 (float)");
        ctx.SetOutput(0, DataType.Float, x);
        var reduced = x.Select((d, i) => i < axis ? d : 1).ToArray();
        ctx.SetOutput(1, DataType.Float, reduced);
        ctx.SetOutput(2, DataType.Float, reduced);
    }

    /// <summary>The C# expression of scale or bias with exactly n values.</summary>
    private static string Affine(EmitContext ctx, int i, int[] normalized)
    {
        if (Shape.Elements(ctx.Shape(i)) == Shape.Elements(normalized)) return ctx.In(i);
        var t = ctx.Const(i)!;
        var map = new int[Shape.ElementsInt(normalized)];
        Elementwise.ForEachIndex(normalized, Shape.BroadcastStrides(t.Shape, normalized), new int[normalized.Length], (o, src, _) => map[o] = src);
        return ctx.ConstantTable(TensorMoves.Take(t, normalized, o => map[o]), i == 1 ? "scale" : "bias");
    }

    public override void Emit(EmitContext ctx)
    {
        var (axis, rows, n) = Geometry(ctx);
        var normalized = ctx.Shape(0).Skip(axis).ToArray();
        string bias = ctx.Has(2) ? Affine(ctx, 2, normalized) : "default";
        string mean = ctx.HasOutput(1) ? ctx.Out(1) : "default", inv = ctx.HasOutput(2) ? ctx.Out(2) : "default";
        ctx.W.Line($"global::EfficientAI.Runtime.Normalize.Layer({ctx.In(0)}, {Affine(ctx, 1, normalized)}, {bias}, {ctx.Out(0)}, {rows}, {n}, {EmitContext.F(ctx.Float("epsilon", 1e-5f))}, {mean}, {inv});");
    }
}
