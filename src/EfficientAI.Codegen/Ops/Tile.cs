using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Tile with constant repeats: the output viewed as [r0, d0, r1, d1, ...] is the input broadcast along the
/// repeat axes (stride 0), so it is one strided copy.
/// </summary>
internal sealed class TileOp : Operator
{
    public override string OpType => "Tile";

    private static int[] Repeats(OpContext ctx)
    {
        var repeats = ctx.RequireConst(1, "repeats").ToInts();
        if (repeats.Length != ctx.Rank(0)) throw ctx.Fail($"repeats has {repeats.Length} values for an input of rank {ctx.Rank(0)}");
        foreach (var r in repeats) if (r < 0) throw ctx.Fail($"repeats [{string.Join(",", repeats)}] has a negative value");
        return repeats;
    }

    public override void Infer(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var repeats = Repeats(ctx);
        ctx.SetOutput(0, ctx.Type(0), x.Select((d, i) => checked(d * repeats[i])).ToArray());
    }

    /// <summary>The interleaved view [r0, d0, r1, d1, ...] and the input strides in it.</summary>
    private static (int[] Shape, int[] Strides) View(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var repeats = Repeats(ctx);
        var own = Shape.Strides(x);
        var shape = new int[2 * x.Length];
        var strides = new int[2 * x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            shape[2 * i] = repeats[i];
            shape[2 * i + 1] = x[i];
            strides[2 * i + 1] = own[i];
        }
        return (shape, strides);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var (shape, strides) = View(ctx);
        var map = new int[Shape.ElementsInt(shape)];
        Elementwise.ForEachIndex(shape, strides, new int[shape.Length], (o, src, _) => map[o] = src);
        ctx.SetConst(0, TensorMoves.Take(ctx.Const(0)!, ctx.Output(0).RequireShape, o => map[o]));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        if (!DataTypes.IsRuntimeType(ctx.Type(0)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {DataTypes.Name(ctx.Type(0))} is not supported at run time");
        if (Shape.Elements(ctx.Output(0).RequireShape) == 0) return;
        var (shape, strides) = View(ctx);
        ctx.W.Line($"global::EfficientAI.Runtime.Layout.Broadcast<{DataTypes.CSharp(ctx.Type(0))}>({ctx.In(0)}, {ctx.Out(0)}, {ctx.IntTable(shape)}, {ctx.IntTable(strides)});");
    }
}
