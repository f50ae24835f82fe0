using System;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Shared shape inference, folding and emission of broadcasting binary ops (Add, Mul, ...).</summary>
internal abstract class BinaryOperator : Operator
{
    /// <summary>The EfficientAI.Runtime.BinaryOp member.</summary>
    protected virtual string Kernel => OpType;

    protected abstract double Apply(double a, double b);

    /// <summary>Apply for double tensors; ops whose Apply rounds through float (to match the float kernels) override it.</summary>
    protected virtual double ApplyDouble(double a, double b) => Apply(a, b);

    protected virtual long ApplyInteger(long a, long b) => (long)Apply(a, b);

    public override void Infer(OpContext ctx)
    {
        var shape = Shape.Broadcast(ctx.Shape(0), ctx.Shape(1))
            ?? throw ctx.Fail($"input shapes {Shape.Format(ctx.Shape(0))} and {Shape.Format(ctx.Shape(1))} do not broadcast");
        if (ctx.Type(0) != ctx.Type(1) && OpType != "Pow")
            throw ctx.Fail($"input types {DataTypes.Name(ctx.Type(0))} and {DataTypes.Name(ctx.Type(1))} differ");
        ctx.SetOutput(0, ctx.Type(0), shape);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var a = ctx.Const(0)!;
        var b = ctx.Const(1)!;
        var outShape = ctx.Output(0).RequireShape;
        var result = Tensor.Create(ctx.Output(0).Type, outShape);
        var aStrides = Shape.BroadcastStrides(a.Shape, outShape);
        var bStrides = Shape.BroadcastStrides(b.Shape, outShape);
        bool integer = DataTypes.IsInteger(result.Type) || result.Type == DataType.Bool;
        bool isDouble = result.Type == DataType.Double;
        Elementwise.ForEachIndex(outShape, aStrides, bStrides, (o, ia, ib) =>
        {
            if (integer) result.SetLong(o, ApplyInteger(a.GetLong(ia), b.GetLong(ib)));
            else result.Set(o, isDouble ? ApplyDouble(a.GetDouble(ia), b.GetDouble(ib)) : Apply(a.GetDouble(ia), b.GetDouble(ib)));
        });
        ctx.SetConst(0, result);
        return true;
    }

    public override int InPlaceInput(OpContext ctx)
    {
        var output = ctx.Output(0);
        for (int i = 0; i < 2; i++)
            if (ctx.Type(i) == output.Type && Shape.Equal(ctx.Shape(i), output.Shape)) return i;
        return -1;
    }

    public override void Emit(EmitContext ctx)
    {
        var type = ctx.Output(0).Type;
        // The runtime has Binary overloads for float, double and every integer type (not bool).
        if (!(type is DataType.Float or DataType.Double || DataTypes.IsInteger(type)) || ctx.Type(1) != type)
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {OpType} on {DataTypes.Name(ctx.Type(0))} and {DataTypes.Name(ctx.Type(1))} is not supported at run time");
        var outShape = ctx.Output(0).RequireShape;
        ctx.W.Line($"global::EfficientAI.Runtime.Elementwise.Binary(global::EfficientAI.Runtime.BinaryOp.{Kernel}, {ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, " +
            $"{ctx.IntTable(outShape)}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(0), outShape))}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(1), outShape))});");
    }
}

/// <summary>Index walks for compile-time evaluation.</summary>
internal static class Elementwise
{
    /// <summary>Calls visit(outIndex, aIndex, bIndex) for every element of outShape in row-major order.</summary>
    public static void ForEachIndex(int[] outShape, int[] aStrides, int[] bStrides, Action<int, int, int> visit)
    {
        int n = Shape.ElementsInt(outShape);
        int rank = outShape.Length;
        var idx = new int[rank];
        int ia = 0, ib = 0;
        for (int o = 0; o < n; o++)
        {
            visit(o, ia, ib);
            for (int d = rank - 1; d >= 0; d--)
            {
                idx[d]++;
                ia += aStrides[d];
                ib += bStrides[d];
                if (idx[d] < outShape[d]) break;
                ia -= aStrides[d] * outShape[d];
                ib -= bStrides[d] * outShape[d];
                idx[d] = 0;
            }
        }
    }
}
