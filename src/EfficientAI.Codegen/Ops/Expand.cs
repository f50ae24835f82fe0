using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Expand: broadcast the input against a constant shape (multidirectionally, so the result may be larger than the shape).</summary>
internal sealed class ExpandOp : Operator
{
    public override string OpType => "Expand";

    public override void Infer(OpContext ctx)
    {
        var target = ctx.RequireConst(1, "shape").ToInts();
        foreach (var d in target) if (d < 0) throw ctx.Fail($"shape [{string.Join(",", target)}] has a negative dimension");
        var shape = Shape.Broadcast(ctx.Shape(0), target)
            ?? throw ctx.Fail($"input {Shape.Format(ctx.Shape(0))} does not broadcast to [{string.Join(",", target)}]");
        ctx.SetOutput(0, ctx.Type(0), shape);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var outShape = ctx.Output(0).RequireShape;
        var map = new int[Shape.ElementsInt(outShape)];
        Elementwise.ForEachIndex(outShape, Shape.BroadcastStrides(ctx.Shape(0), outShape), new int[outShape.Length], (o, src, _) => map[o] = src);
        ctx.SetConst(0, TensorMoves.Take(ctx.Const(0)!, outShape, o => map[o]));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        if (!DataTypes.IsRuntimeType(ctx.Type(0)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {DataTypes.Name(ctx.Type(0))} is not supported at run time");
        var outShape = ctx.Output(0).RequireShape;
        if (Shape.Elements(outShape) == 0) return;
        ctx.W.Line($"global::EfficientAI.Runtime.Layout.Broadcast<{DataTypes.CSharp(ctx.Type(0))}>({ctx.In(0)}, {ctx.Out(0)}, {ctx.IntTable(outShape)}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(0), outShape))});");
    }
}
