using System;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Reduce* ops: axes as attribute, or as input from opset 13 (ReduceSum) / 18 (the rest); keepdims; noop_with_empty_axes.</summary>
internal abstract class ReduceOperator : Operator
{
    /// <summary>The EfficientAI.Runtime.ReduceOp member.</summary>
    protected abstract string Kernel { get; }

    protected virtual int AxesInputSince => 18;

    /// <summary>Reduces the values of one output element (as doubles), for folding.</summary>
    protected abstract double Fold(double[] values);

    private bool[] Flags(OpContext ctx)
    {
        int rank = ctx.Rank(0);
        long[]? raw = ctx.Opset >= AxesInputSince ? (ctx.Has(1) ? ctx.RequireConst(1, "axes").ToLongs() : null) : ctx.Ints("axes");
        var flags = new bool[rank];
        if (raw is null || raw.Length == 0)
        {
            bool noop = ctx.Int("noop_with_empty_axes", 0) != 0;
            for (int i = 0; i < rank; i++) flags[i] = !noop;
        }
        else foreach (var a in raw) flags[Shape.Axis(a, rank)] = true;
        return flags;
    }

    public override void Infer(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var flags = Flags(ctx);
        bool keep = ctx.Int("keepdims", 1) != 0;
        var y = x.Select((d, i) => flags[i] ? (keep ? 1 : -1) : d).Where(d => d >= 0).ToArray();
        ctx.SetOutput(0, ctx.Type(0), y);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var x = ctx.Const(0)!;
        var flags = Flags(ctx);
        var shape = x.Shape;
        var kept = shape.Select((d, i) => flags[i] ? 1 : d).ToArray();
        var result = Tensor.Create(x.Type, ctx.Output(0).RequireShape);
        var groups = new System.Collections.Generic.List<double>[result.Length];
        for (int i = 0; i < groups.Length; i++) groups[i] = new();
        var keptStrides = Shape.Strides(kept).Select((s, i) => flags[i] ? 0 : s).ToArray();
        Elementwise.ForEachIndex(shape, Shape.Strides(shape), keptStrides, (_, src, dst) => groups[dst].Add(x.GetDouble(src)));
        for (int i = 0; i < groups.Length; i++) result.Set(i, Fold(groups[i].ToArray()));
        ctx.SetConst(0, result);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        ctx.RequireFloat(0);
        var flags = Flags(ctx).Select(f => f ? 1 : 0).ToArray();
        ctx.W.Line($"global::EfficientAI.Runtime.Reduce.Compute(global::EfficientAI.Runtime.ReduceOp.{Kernel}, {ctx.In(0)}, {ctx.Out(0)}, {ctx.IntTable(ctx.Shape(0))}, {ctx.IntTable(flags)});");
    }
}
