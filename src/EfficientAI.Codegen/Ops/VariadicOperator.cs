using System;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Sum, Mean, Max, Min over any number of inputs with multidirectional broadcasting: emitted as a chain of
/// broadcasting binary kernels accumulating into the output (the first combines inputs 0 and 1).
/// </summary>
internal abstract class VariadicOperator : Operator
{
    /// <summary>The EfficientAI.Runtime.BinaryOp member that combines two inputs.</summary>
    protected abstract string Kernel { get; }

    protected abstract double Combine(double a, double b);

    protected virtual long CombineInteger(long a, long b) => (long)Combine(a, b);

    /// <summary>Mean divides by the input count at the end.</summary>
    protected virtual bool IsMean => false;

    private static int[] Inputs(OpContext ctx)
    {
        var list = new System.Collections.Generic.List<int>();
        for (int i = 0; i < ctx.InputCount; i++) if (ctx.Has(i)) list.Add(i);
        if (list.Count == 0) throw ctx.Fail("needs at least one input");
        return list.ToArray();
    }

    public override void Infer(OpContext ctx)
    {
        var inputs = Inputs(ctx);
        var shape = ctx.Shape(inputs[0]);
        foreach (var i in inputs)
        {
            if (ctx.Type(i) != ctx.Type(inputs[0])) throw ctx.Fail($"input {i} is {DataTypes.Name(ctx.Type(i))}, input 0 is {DataTypes.Name(ctx.Type(inputs[0]))}");
            shape = Shape.Broadcast(shape, ctx.Shape(i)) ?? throw ctx.Fail($"input {i} {Shape.Format(ctx.Shape(i))} does not broadcast with {Shape.Format(shape)}");
        }
        if (IsMean) ctx.RequireFloat(inputs[0]);
        ctx.SetOutput(0, ctx.Type(inputs[0]), shape);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var inputs = Inputs(ctx);
        var outShape = ctx.Output(0).RequireShape;
        var result = Tensor.Create(ctx.Output(0).Type, outShape);
        bool integer = DataTypes.IsInteger(result.Type);
        var acc = new double[result.Length];
        var accLong = new long[result.Length];
        var zero = new int[outShape.Length];
        for (int k = 0; k < inputs.Length; k++)
        {
            var t = ctx.Const(inputs[k])!;
            bool first = k == 0;
            Elementwise.ForEachIndex(outShape, Shape.BroadcastStrides(t.Shape, outShape), zero, (o, src, _) =>
            {
                if (integer) accLong[o] = first ? t.GetLong(src) : CombineInteger(accLong[o], t.GetLong(src));
                else acc[o] = first ? t.GetDouble(src) : Combine(acc[o], t.GetDouble(src));
            });
        }
        for (int o = 0; o < result.Length; o++)
        {
            if (integer) result.SetLong(o, accLong[o]);
            else result.Set(o, IsMean ? (float)acc[o] / inputs.Length : acc[o]);
        }
        ctx.SetConst(0, result);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var inputs = Inputs(ctx);
        var type = ctx.Output(0).Type;
        if (!(type is DataType.Float or DataType.Double || DataTypes.IsInteger(type)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {OpType} on {DataTypes.Name(type)} is not supported at run time");
        var outShape = ctx.Output(0).RequireShape;
        string shape = ctx.IntTable(outShape), contiguous = ctx.IntTable(Shape.Strides(outShape));
        string Strides(int i) => ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(i), outShape));
        string rt = "global::EfficientAI.Runtime";
        if (inputs.Length == 1)
        {
            ctx.W.Line($"{rt}.Layout.Broadcast<{DataTypes.CSharp(type)}>({ctx.In(inputs[0])}, {ctx.Out(0)}, {shape}, {Strides(inputs[0])});");
        }
        else
        {
            ctx.W.Line($"{rt}.Elementwise.Binary({rt}.BinaryOp.{Kernel}, {ctx.In(inputs[0])}, {ctx.In(inputs[1])}, {ctx.Out(0)}, {shape}, {Strides(inputs[0])}, {Strides(inputs[1])});");
            for (int k = 2; k < inputs.Length; k++)
                ctx.W.Line($"{rt}.Elementwise.Binary({rt}.BinaryOp.{Kernel}, {ctx.Out(0)}, {ctx.In(inputs[k])}, {ctx.Out(0)}, {shape}, {contiguous}, {Strides(inputs[k])});");
        }
        if (IsMean && inputs.Length > 1)
        {
            var divisor = Tensor.FromFloats(Shape.Scalar, new float[] { inputs.Length });
            ctx.W.Line($"{rt}.Elementwise.Binary({rt}.BinaryOp.Div, {ctx.Out(0)}, {ctx.ConstantTable(divisor, "count")}, {ctx.Out(0)}, {shape}, {contiguous}, {ctx.IntTable(new int[outShape.Length])});");
        }
    }
}
