using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Broadcasting logical ops on bool tensors (And, Or, Xor).</summary>
internal abstract class LogicalOperator : Operator
{
    /// <summary>The EfficientAI.Runtime.LogicalOp member.</summary>
    protected virtual string Kernel => OpType;

    protected abstract bool Apply(bool a, bool b);

    public override void Infer(OpContext ctx)
    {
        var shape = Shape.Broadcast(ctx.Shape(0), ctx.Shape(1))
            ?? throw ctx.Fail($"input shapes {Shape.Format(ctx.Shape(0))} and {Shape.Format(ctx.Shape(1))} do not broadcast");
        if (ctx.Type(0) != DataType.Bool || ctx.Type(1) != DataType.Bool)
            throw ctx.Fail($"inputs must be bool, not {DataTypes.Name(ctx.Type(0))} and {DataTypes.Name(ctx.Type(1))}");
        ctx.SetOutput(0, DataType.Bool, shape);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var a = ctx.Const(0)!;
        var b = ctx.Const(1)!;
        var outShape = ctx.Output(0).RequireShape;
        var result = new bool[Shape.ElementsInt(outShape)];
        Elementwise.ForEachIndex(outShape, Shape.BroadcastStrides(a.Shape, outShape), Shape.BroadcastStrides(b.Shape, outShape), (o, ia, ib) =>
            result[o] = Apply(a.GetLong(ia) != 0, b.GetLong(ib) != 0));
        ctx.SetConst(0, new Tensor(DataType.Bool, outShape, result));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var outShape = ctx.Output(0).RequireShape;
        ctx.W.Line($"global::EfficientAI.Runtime.Compare.Logical(global::EfficientAI.Runtime.LogicalOp.{Kernel}, {ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, " +
            $"{ctx.IntTable(outShape)}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(0), outShape))}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(1), outShape))});");
    }
}
