using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Broadcasting comparisons (Equal, Less, ...): numeric or bool inputs of one type, bool output.</summary>
internal abstract class CompareOperator : Operator
{
    /// <summary>The EfficientAI.Runtime.CompareOp member.</summary>
    protected virtual string Kernel => OpType;

    protected abstract bool Apply(double a, double b);

    protected abstract bool ApplyInteger(long a, long b);

    /// <summary>Equal is defined on bool; orderings are not.</summary>
    protected virtual bool AllowsBool => false;

    public override void Infer(OpContext ctx)
    {
        var shape = Shape.Broadcast(ctx.Shape(0), ctx.Shape(1))
            ?? throw ctx.Fail($"input shapes {Shape.Format(ctx.Shape(0))} and {Shape.Format(ctx.Shape(1))} do not broadcast");
        if (ctx.Type(0) != ctx.Type(1))
            throw ctx.Fail($"input types {DataTypes.Name(ctx.Type(0))} and {DataTypes.Name(ctx.Type(1))} differ");
        if (ctx.Type(0) == DataType.Bool && !AllowsBool) throw ctx.Fail($"{OpType} is not defined on bool");
        ctx.SetOutput(0, DataType.Bool, shape);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var a = ctx.Const(0)!;
        var b = ctx.Const(1)!;
        var outShape = ctx.Output(0).RequireShape;
        var result = new bool[Shape.ElementsInt(outShape)];
        bool integer = DataTypes.IsInteger(a.Type) || a.Type == DataType.Bool;
        Elementwise.ForEachIndex(outShape, Shape.BroadcastStrides(a.Shape, outShape), Shape.BroadcastStrides(b.Shape, outShape), (o, ia, ib) =>
            result[o] = integer ? ApplyInteger(a.GetLong(ia), b.GetLong(ib)) : Apply(a.GetDouble(ia), b.GetDouble(ib)));
        ctx.SetConst(0, new Tensor(DataType.Bool, outShape, result));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        if (!DataTypes.IsRuntimeType(ctx.Type(0)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {OpType} on {DataTypes.Name(ctx.Type(0))} is not supported at run time");
        var outShape = ctx.Output(0).RequireShape;
        // Explicit type argument: arena tensors are Span<T>, which C# before 14 does not infer as ReadOnlySpan<T>.
        string typeArg = ctx.Type(0) == DataType.Bool ? "" : $"<{DataTypes.CSharp(ctx.Type(0))}>";
        ctx.W.Line($"global::EfficientAI.Runtime.Compare.Binary{typeArg}(global::EfficientAI.Runtime.CompareOp.{Kernel}, {ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, " +
            $"{ctx.IntTable(outShape)}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(0), outShape))}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(1), outShape))});");
    }
}
