using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>ScatterND: a copy of data with slices at index tuples replaced (or reduced) by updates.</summary>
internal sealed class ScatterNDOp : Operator
{
    public override string OpType => "ScatterND";

    public override void Infer(OpContext ctx)
    {
        if (!DataTypes.IsInteger(ctx.Type(1))) throw ctx.Fail("indices must be integers");
        if (ctx.Type(2) != ctx.Type(0)) throw ctx.Fail("updates must have the data's type");
        var (_, n, dims, slice) = NDIndexing.Resolve(ctx, 0);
        var idx = ctx.Shape(1);
        var expected = idx.Take(idx.Length - 1).Concat(ctx.Shape(0).Skip(dims.Length)).ToArray();
        if (!Shape.Equal(ctx.Shape(2), expected)) throw ctx.Fail($"updates {Shape.Format(ctx.Shape(2))} must have shape {Shape.Format(expected)}");
        ScatterReduction.Kernel(ctx);
        ctx.SetOutput(0, ctx.Type(0), ctx.Shape(0));
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var (_, n, dims, slice) = NDIndexing.Resolve(ctx, 0);
        var data = ctx.Const(0)!;
        var idx = ctx.Const(1)!;
        var updates = ctx.Const(2)!;
        var kernel = ScatterReduction.Kernel(ctx);
        var y = Tensor.Create(data.Type, data.Shape);
        System.Array.Copy(data.Data, y.Data, data.Length);
        for (int j = 0; j < n; j++)
        {
            int at = NDIndexing.Offset(ctx, idx, j * dims.Length, dims, slice);
            for (int s = 0; s < slice; s++)
                y.Set(at + s, ScatterReduction.Apply(kernel, y.GetDouble(at + s), updates.GetDouble(j * slice + s)));
        }
        ctx.SetConst(0, y);
        return true;
    }

    public override int InPlaceInput(OpContext ctx) => 0;

    public override void Emit(EmitContext ctx)
    {
        ScatterReduction.RequireNumeric(ctx);
        var (_, n, dims, slice) = NDIndexing.Resolve(ctx, 0);
        ctx.W.Line($"global::EfficientAI.Runtime.Scatter.ScatterND<{DataTypes.CSharp(ctx.Type(0))}, {DataTypes.CSharp(ctx.Type(1))}>({ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {ctx.Out(0)}, " +
            $"{n}, {ctx.IntTable(dims)}, {slice}, global::EfficientAI.Runtime.ScatterReduction.{ScatterReduction.Kernel(ctx)});");
    }
}
