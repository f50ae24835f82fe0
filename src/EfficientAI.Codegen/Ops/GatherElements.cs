using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>GatherElements: output shaped like indices; y[..., j, ...] = x[..., indices[..., j, ...], ...] along axis.</summary>
internal sealed class GatherElementsOp : Operator
{
    public override string OpType => "GatherElements";

    private static (int Outer, int Axis, int Inner, int Count) Geometry(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var idx = ctx.Shape(1);
        if (idx.Length != x.Length) throw ctx.Fail($"indices {Shape.Format(idx)} must have the rank of the data {Shape.Format(x)}");
        int axis = Shape.Axis(ctx.Int("axis", 0), x.Length);
        int outer = 1, inner = 1;
        for (int d = 0; d < x.Length; d++)
        {
            if (d == axis) continue;
            if (idx[d] != x[d])
                throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "GatherElements",
                    $"{ctx.Node.Display}: indices {Shape.Format(idx)} differ from the data {Shape.Format(x)} outside axis {axis}; only equal shapes are supported" });
            if (d < axis) outer = checked(outer * x[d]); else inner = checked(inner * x[d]);
        }
        return (outer, x[axis], inner, idx[axis]);
    }

    public override void Infer(OpContext ctx)
    {
        if (!DataTypes.IsInteger(ctx.Type(1))) throw ctx.Fail("indices must be integers");
        Geometry(ctx);
        ctx.SetOutput(0, ctx.Type(0), ctx.Shape(1));
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var (outer, axis, inner, count) = Geometry(ctx);
        var idx = ctx.Const(1)!;
        var map = new int[idx.Length];
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < count; j++)
                for (int i = 0; i < inner; i++)
                {
                    int at = (o * count + j) * inner + i;
                    long k = idx.GetLong(at);
                    if (k < 0) k += axis;
                    if (k < 0 || k >= axis) throw ctx.Fail($"index {idx.GetLong(at)} is out of range for axis size {axis}");
                    map[at] = (int)((o * axis + k) * inner + i);
                }
        ctx.SetConst(0, TensorMoves.Take(ctx.Const(0)!, ctx.Output(0).RequireShape, o => map[o]));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        if (!DataTypes.IsRuntimeType(ctx.Type(0)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {DataTypes.Name(ctx.Type(0))} is not supported at run time");
        var (outer, axis, inner, count) = Geometry(ctx);
        ctx.W.Line($"global::EfficientAI.Runtime.Indexing.GatherElements<{DataTypes.CSharp(ctx.Type(0))}, {DataTypes.CSharp(ctx.Type(1))}>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {outer}, {axis}, {inner}, {count});");
    }
}
