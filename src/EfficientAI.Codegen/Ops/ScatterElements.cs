using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>ScatterElements: a copy of data where each update lands at its own coordinates with the axis one taken from indices.</summary>
internal class ScatterElementsOp : Operator
{
    public override string OpType => "ScatterElements";

    public override void Infer(OpContext ctx)
    {
        var data = ctx.Shape(0);
        var idx = ctx.Shape(1);
        if (!DataTypes.IsInteger(ctx.Type(1))) throw ctx.Fail("indices must be integers");
        if (ctx.Type(2) != ctx.Type(0)) throw ctx.Fail("updates must have the data's type");
        if (!Shape.Equal(idx, ctx.Shape(2))) throw ctx.Fail($"updates {Shape.Format(ctx.Shape(2))} must have the shape of indices {Shape.Format(idx)}");
        if (idx.Length != data.Length) throw ctx.Fail($"indices {Shape.Format(idx)} must have the rank of data {Shape.Format(data)}");
        int axis = Shape.Axis(ctx.Int("axis", 0), data.Length);
        for (int d = 0; d < data.Length; d++)
            if (d != axis && idx[d] > data[d]) throw ctx.Fail($"indices {Shape.Format(idx)} exceed data {Shape.Format(data)} on axis {d}");
        ScatterReduction.Kernel(ctx);
        ctx.SetOutput(0, ctx.Type(0), data);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var data = ctx.Const(0)!;
        var idx = ctx.Const(1)!;
        var updates = ctx.Const(2)!;
        int axis = Shape.Axis(ctx.Int("axis", 0), data.Shape.Length);
        var kernel = ScatterReduction.Kernel(ctx);
        var strides = Shape.Strides(data.Shape);
        var baseStrides = (int[])strides.Clone();
        baseStrides[axis] = 0;
        var y = Tensor.Create(data.Type, data.Shape);
        System.Array.Copy(data.Data, y.Data, data.Length);
        int size = data.Shape[axis];
        Elementwise.ForEachIndex(idx.Shape, baseStrides, new int[idx.Shape.Length], (e, baseOffset, _) =>
        {
            long k = idx.GetLong(e);
            if (k < 0) k += size;
            if (k < 0 || k >= size) throw ctx.Fail($"index {idx.GetLong(e)} is out of range for axis size {size}");
            int at = baseOffset + (int)k * strides[axis];
            y.Set(at, ScatterReduction.Apply(kernel, y.GetDouble(at), updates.GetDouble(e)));
        });
        ctx.SetConst(0, y);
        return true;
    }

    public override int InPlaceInput(OpContext ctx) => 0;

    public override void Emit(EmitContext ctx)
    {
        ScatterReduction.RequireNumeric(ctx);
        var data = ctx.Shape(0);
        int axis = Shape.Axis(ctx.Int("axis", 0), data.Length);
        ctx.W.Line($"global::EfficientAI.Runtime.Scatter.ScatterElements<{DataTypes.CSharp(ctx.Type(0))}, {DataTypes.CSharp(ctx.Type(1))}>({ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {ctx.Out(0)}, " +
            $"{ctx.IntTable(ctx.Shape(1))}, {ctx.IntTable(Shape.Strides(data))}, {axis}, {data[axis]}, global::EfficientAI.Runtime.ScatterReduction.{ScatterReduction.Kernel(ctx)});");
    }
}
