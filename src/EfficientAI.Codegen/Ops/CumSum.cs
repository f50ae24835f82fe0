using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>CumSum along a constant axis; exclusive and reverse attributes.</summary>
internal sealed class CumSumOp : Operator
{
    public override string OpType => "CumSum";

    private static (int Outer, int Axis, int Inner) Geometry(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var axisTensor = ctx.RequireConst(1, "axis");
        if (axisTensor.Length != 1) throw ctx.Fail("axis must be a scalar");
        int axis = Shape.Axis(axisTensor.GetLong(0), x.Length);
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer = checked(outer * x[d]);
        for (int d = axis + 1; d < x.Length; d++) inner = checked(inner * x[d]);
        return (outer, x[axis], inner);
    }

    public override void Infer(OpContext ctx)
    {
        if (ctx.Type(0) == DataType.Bool) throw ctx.Fail("CumSum is not defined on bool");
        Geometry(ctx);
        ctx.SetOutput(0, ctx.Type(0), ctx.Shape(0));
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var (outer, axis, inner) = Geometry(ctx);
        var x = ctx.Const(0)!;
        var y = Tensor.Create(x.Type, x.Shape);
        bool exclusive = ctx.Int("exclusive", 0) != 0, reverse = ctx.Int("reverse", 0) != 0, integer = DataTypes.IsInteger(x.Type);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double sum = 0;
                long sumLong = 0;
                for (int step = 0; step < axis; step++)
                {
                    int at = (o * axis + (reverse ? axis - 1 - step : step)) * inner + i;
                    if (exclusive) { if (integer) y.SetLong(at, sumLong); else y.Set(at, sum); }
                    if (integer) sumLong = unchecked(sumLong + x.GetLong(at));
                    else sum = x.Type == DataType.Float ? (float)sum + (float)x.GetDouble(at) : sum + x.GetDouble(at);
                    if (!exclusive) { if (integer) y.SetLong(at, sumLong); else y.Set(at, sum); }
                }
            }
        ctx.SetConst(0, y);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var type = ctx.Type(0);
        if (!(type is DataType.Float or DataType.Double || DataTypes.IsInteger(type)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: CumSum on {DataTypes.Name(type)} is not supported at run time");
        var (outer, axis, inner) = Geometry(ctx);
        ctx.W.Line($"global::EfficientAI.Runtime.Indexing.CumSum<{DataTypes.CSharp(type)}>({ctx.In(0)}, {ctx.Out(0)}, {outer}, {axis}, {inner}, " +
            $"{EmitContext.B(ctx.Int("exclusive", 0) != 0)}, {EmitContext.B(ctx.Int("reverse", 0) != 0)});");
    }
}
