using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>TopK with a constant k (attribute before opset 10, input from 10): values and int64 indices, sorted best first.</summary>
internal sealed class TopKOp : Operator
{
    public override string OpType => "TopK";

    private static (int Outer, int Axis, int Inner, int K, int[] OutShape) Geometry(OpContext ctx)
    {
        var x = ctx.Shape(0);
        int axis = Shape.Axis(ctx.Int("axis", -1), x.Length);
        long k;
        if (ctx.Opset < 10) k = ctx.Int("k", -1);
        else
        {
            var kt = ctx.RequireConst(1, "k");
            if (kt.Length != 1) throw ctx.Fail("k must hold one value");
            k = kt.GetLong(0);
        }
        if (k < 0 || k > x[axis]) throw ctx.Fail($"k {k} is outside 0..{x[axis]} (the axis size)");
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer = checked(outer * x[d]);
        for (int d = axis + 1; d < x.Length; d++) inner = checked(inner * x[d]);
        var outShape = x.Select((d, i) => i == axis ? (int)k : d).ToArray();
        return (outer, x[axis], inner, (int)k, outShape);
    }

    public override void Infer(OpContext ctx)
    {
        if (ctx.Type(0) == DataType.Bool) throw ctx.Fail("TopK is not defined on bool");
        var g = Geometry(ctx);
        ctx.SetOutput(0, ctx.Type(0), g.OutShape);
        ctx.SetOutput(1, DataType.Int64, g.OutShape);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var (outer, axis, inner, k, outShape) = Geometry(ctx);
        var x = ctx.Const(0)!;
        bool largest = ctx.Int("largest", 1) != 0;
        var values = Tensor.Create(x.Type, outShape);
        var indices = new long[values.Length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                // Stable sort by value: ties keep the lower index first, as the kernel does.
                var order = Enumerable.Range(0, axis).Select(a => (Value: x.GetDouble((o * axis + a) * inner + i), Index: a));
                var best = (largest ? order.OrderByDescending(p => p.Value) : order.OrderBy(p => p.Value)).Take(k).ToArray();
                for (int j = 0; j < k; j++)
                {
                    int dst = (o * k + j) * inner + i;
                    System.Array.Copy(x.Data, (o * axis + best[j].Index) * inner + i, values.Data, dst, 1);
                    indices[dst] = best[j].Index;
                }
            }
        ctx.SetConst(0, values);
        ctx.SetConst(1, Tensor.FromLongs(outShape, indices));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var type = ctx.Type(0);
        if (!(type is DataType.Float or DataType.Double || DataTypes.IsInteger(type)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: TopK on {DataTypes.Name(type)} is not supported at run time");
        var (outer, axis, inner, k, _) = Geometry(ctx);
        // The kernel writes both outputs.
        if (!ctx.HasOutput(0) || !ctx.HasOutput(1))
            throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "TopK", $"{ctx.Node.Display}: both outputs (values and indices) must be used" });
        ctx.W.Line($"global::EfficientAI.Runtime.Scatter.TopK<{DataTypes.CSharp(type)}>({ctx.In(0)}, {ctx.Out(0)}, {ctx.Out(1)}, {outer}, {axis}, {inner}, {k}, {EmitContext.B(ctx.Int("largest", 1) != 0)});");
    }
}
