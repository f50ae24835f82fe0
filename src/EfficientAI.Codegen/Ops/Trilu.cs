using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Trilu: the upper (upper=1, default) or lower triangle of the last two axes, from diagonal k (optional int64 input
/// 1, default 0; it may be a run-time value since it decides no shape); the rest becomes zero.
/// </summary>
internal sealed class TriluOp : Operator
{
    public override string OpType => "Trilu";

    public override void Infer(OpContext ctx)
    {
        var x = ctx.Shape(0);
        if (x.Length < 2) throw ctx.Fail($"input must have rank 2 or more, not {x.Length}");
        if (!DataTypes.IsRuntimeType(ctx.Type(0)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: Trilu on {DataTypes.Name(ctx.Type(0))} is not supported");
        if (ctx.Has(1) && (Shape.Elements(ctx.Shape(1)) != 1 || !DataTypes.IsInteger(ctx.Type(1))))
            throw ctx.Fail("k must be one integer");
        ctx.SetOutput(0, ctx.Type(0), x);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var x = ctx.Const(0)!;
        var (_, rows, cols) = Dims(x.Shape);
        long k = ctx.Const(1)?.GetLong(0) ?? 0;
        bool upper = ctx.Int("upper", 1) != 0;
        var y = Tensor.Create(x.Type, x.Shape);
        bool integer = DataTypes.IsInteger(x.Type) || x.Type == DataType.Bool;
        for (int i = 0; i < x.Length; i++)
        {
            long diagonal = i % cols - i / cols % rows;
            if (!(upper ? diagonal >= k : diagonal <= k)) continue;
            if (integer) y.SetLong(i, x.GetLong(i));
            else y.Set(i, x.GetDouble(i));
        }
        ctx.SetConst(0, y);
        return true;
    }

    public override int InPlaceInput(OpContext ctx) => 0;

    public override void Emit(EmitContext ctx)
    {
        var (batch, rows, cols) = Dims(ctx.Shape(0));
        string k = !ctx.Has(1) ? "0" : ctx.Const(1) is { } c ? EmitContext.I(c.GetLong(0)) : $"(long){ctx.In(1)}[0]";
        ctx.W.Line($"global::EfficientAI.Runtime.Layout.Triangle<{DataTypes.CSharp(ctx.Type(0))}>({ctx.In(0)}, {ctx.Out(0)}, {batch}, {rows}, {cols}, {k}, {EmitContext.B(ctx.Int("upper", 1) != 0)});");
    }

    private static (int Batch, int Rows, int Cols) Dims(int[] x)
    {
        int rows = x[x.Length - 2], cols = x[x.Length - 1];
        int batch = 1;
        for (int d = 0; d < x.Length - 2; d++) batch = checked(batch * x[d]);
        return (batch, rows, cols);
    }
}
