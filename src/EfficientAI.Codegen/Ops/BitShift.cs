using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>BitShift: unsigned integers shifted LEFT or RIGHT (direction) by the broadcast second input.</summary>
internal sealed class BitShiftOp : Operator
{
    public override string OpType => "BitShift";

    private static bool Left(OpContext ctx) => ctx.Str("direction", "") switch
    {
        "LEFT" => true,
        "RIGHT" => false,
        var d => throw ctx.Fail($"direction must be LEFT or RIGHT, not '{d}'"),
    };

    public override void Infer(OpContext ctx)
    {
        Left(ctx);
        var type = ctx.Type(0);
        if (type is not (DataType.UInt8 or DataType.UInt16 or DataType.UInt32 or DataType.UInt64))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: BitShift is defined on unsigned integers, not {DataTypes.Name(type)}");
        if (ctx.Type(1) != type) throw ctx.Fail($"input types {DataTypes.Name(type)} and {DataTypes.Name(ctx.Type(1))} differ");
        var shape = Shape.Broadcast(ctx.Shape(0), ctx.Shape(1))
            ?? throw ctx.Fail($"input shapes {Shape.Format(ctx.Shape(0))} and {Shape.Format(ctx.Shape(1))} do not broadcast");
        ctx.SetOutput(0, type, shape);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var a = ctx.Const(0)!;
        var b = ctx.Const(1)!;
        bool left = Left(ctx);
        int bits = DataTypes.Size(a.Type) * 8;
        var outShape = ctx.Output(0).RequireShape;
        var y = Tensor.Create(a.Type, outShape);
        Elementwise.ForEachIndex(outShape, Shape.BroadcastStrides(a.Shape, outShape), Shape.BroadcastStrides(b.Shape, outShape), (o, ia, ib) =>
        {
            ulong value = unchecked((ulong)a.GetLong(ia)), count = unchecked((ulong)b.GetLong(ib));
            ulong r = count >= (ulong)bits ? 0 : left ? value << (int)count : value >> (int)count;
            y.SetLong(o, unchecked((long)r));
        });
        ctx.SetConst(0, y);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var outShape = ctx.Output(0).RequireShape;
        ctx.W.Line($"global::EfficientAI.Runtime.Elementwise.BitShift<{DataTypes.CSharp(ctx.Type(0))}>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, " +
            $"{ctx.IntTable(outShape)}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(0), outShape))}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(1), outShape))}, {EmitContext.B(Left(ctx))});");
    }
}
