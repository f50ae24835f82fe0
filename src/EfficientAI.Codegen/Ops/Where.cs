using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Where(condition, X, Y): element-wise selection with three-way broadcasting; any element type.</summary>
internal sealed class WhereOp : Operator
{
    public override string OpType => "Where";

    public override void Infer(OpContext ctx)
    {
        if (ctx.Type(0) != DataType.Bool) throw ctx.Fail($"condition must be bool, not {DataTypes.Name(ctx.Type(0))}");
        if (ctx.Type(1) != ctx.Type(2)) throw ctx.Fail($"X is {DataTypes.Name(ctx.Type(1))} but Y is {DataTypes.Name(ctx.Type(2))}");
        var shape = Shape.Broadcast(ctx.Shape(0), ctx.Shape(1)) is { } s ? Shape.Broadcast(s, ctx.Shape(2)) : null;
        if (shape is null)
            throw ctx.Fail($"shapes {Shape.Format(ctx.Shape(0))}, {Shape.Format(ctx.Shape(1))} and {Shape.Format(ctx.Shape(2))} do not broadcast");
        ctx.SetOutput(0, ctx.Type(1), shape);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var c = ctx.Const(0)!;
        var x = ctx.Const(1)!;
        var y = ctx.Const(2)!;
        var outShape = ctx.Output(0).RequireShape;
        var cStrides = Shape.BroadcastStrides(c.Shape, outShape);
        var xStrides = Shape.BroadcastStrides(x.Shape, outShape);
        var yStrides = Shape.BroadcastStrides(y.Shape, outShape);
        var result = Tensor.Create(x.Type, outShape);
        var cIndex = new int[result.Length];
        Elementwise.ForEachIndex(outShape, cStrides, new int[outShape.Length], (o, ic, _) => cIndex[o] = ic);
        Elementwise.ForEachIndex(outShape, xStrides, yStrides, (o, ix, iy) =>
        {
            if (c.GetLong(cIndex[o]) != 0) System.Array.Copy(x.Data, ix, result.Data, o, 1);
            else System.Array.Copy(y.Data, iy, result.Data, o, 1);
        });
        ctx.SetConst(0, result);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        if (!DataTypes.IsRuntimeType(ctx.Type(1)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: Where on {DataTypes.Name(ctx.Type(1))} is not supported at run time");
        var outShape = ctx.Output(0).RequireShape;
        ctx.W.Line($"global::EfficientAI.Runtime.Compare.Where<{DataTypes.CSharp(ctx.Type(1))}>({ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {ctx.Out(0)}, {ctx.IntTable(outShape)}, " +
            $"{ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(0), outShape))}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(1), outShape))}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(2), outShape))});");
    }
}
