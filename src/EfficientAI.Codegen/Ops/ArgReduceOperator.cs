using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>ArgMax/ArgMin: int64 indices along one axis; keepdims, select_last_index.</summary>
internal abstract class ArgReduceOperator : Operator
{
    protected abstract bool IsMax { get; }

    private static (int Outer, int Axis, int Inner, int[] OutShape) Geometry(OpContext ctx)
    {
        var x = ctx.Shape(0);
        int axis = Shape.Axis(ctx.Int("axis", 0), x.Length);
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer = checked(outer * x[d]);
        for (int d = axis + 1; d < x.Length; d++) inner = checked(inner * x[d]);
        bool keep = ctx.Int("keepdims", 1) != 0;
        var outShape = keep ? x.Select((d, i) => i == axis ? 1 : d).ToArray() : x.Where((_, i) => i != axis).ToArray();
        return (outer, x.Length == 0 ? 1 : x[axis], inner, outShape);
    }

    public override void Infer(OpContext ctx)
    {
        var (_, axis, _, outShape) = Geometry(ctx);
        if (axis == 0) throw ctx.Fail("the reduced axis is empty");
        if (ctx.Type(0) == DataType.Bool) throw ctx.Fail($"{OpType} is not defined on bool");
        ctx.SetOutput(0, DataType.Int64, outShape);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var (outer, axis, inner, outShape) = Geometry(ctx);
        var x = ctx.Const(0)!;
        bool last = ctx.Int("select_last_index", 0) != 0;
        var y = new long[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int at = 0;
                double best = x.GetDouble(o * axis * inner + i);
                for (int a = 1; a < axis && !double.IsNaN(best); a++)
                {
                    double v = x.GetDouble((o * axis + a) * inner + i);
                    if (double.IsNaN(v) || (IsMax ? (last ? v >= best : v > best) : (last ? v <= best : v < best))) { best = v; at = a; }
                }
                y[o * inner + i] = at;
            }
        ctx.SetConst(0, Tensor.FromLongs(outShape, y));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var type = ctx.Type(0);
        if (!(type is DataType.Float or DataType.Double || DataTypes.IsInteger(type)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {OpType} on {DataTypes.Name(type)} is not supported at run time");
        var (outer, axis, inner, _) = Geometry(ctx);
        ctx.W.Line($"global::EfficientAI.Runtime.Indexing.ArgReduce<{DataTypes.CSharp(type)}>({ctx.In(0)}, {ctx.Out(0)}, {outer}, {axis}, {inner}, " +
            $"{EmitContext.B(IsMax)}, {EmitContext.B(ctx.Int("select_last_index", 0) != 0)});");
    }
}
