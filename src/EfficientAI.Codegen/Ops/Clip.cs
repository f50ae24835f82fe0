using System;
using System.Globalization;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Clip: bounds are attributes before opset 11, optional constant inputs from 11; integer and double inputs from opset 12.</summary>
internal sealed class ClipOp : UnaryOperator
{
    public override string OpType => "Clip";

    protected override float Alpha(OpContext ctx) => Bound(ctx, 1, "min", float.NegativeInfinity);
    protected override float Beta(OpContext ctx) => Bound(ctx, 2, "max", float.PositiveInfinity);

    protected override float Apply(float x, float alpha, float beta) => Math.Min(Math.Max(x, alpha), beta);

    private static float Bound(OpContext ctx, int input, string attribute, float fallback)
    {
        if (ctx.Opset < 11) return ctx.Float(attribute, fallback);
        if (!ctx.Has(input)) return fallback;
        var t = ctx.RequireConst(input, attribute + " bound");
        return (float)t.GetDouble(0);
    }

    private static bool IsFloat(OpContext ctx) => ctx.Type(0) == DataType.Float;

    public override void Infer(OpContext ctx)
    {
        var type = ctx.Type(0);
        if (IsFloat(ctx)) base.Infer(ctx);
        else if (type == DataType.Double || DataTypes.IsInteger(type)) ctx.SetOutput(0, type, ctx.Shape(0));
        else throw new Diagnostics.CompileError(Diagnostics.DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: Clip on {DataTypes.Name(type)} is not supported");
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        if (IsFloat(ctx)) return base.TryEvaluate(ctx);
        var x = ctx.Const(0)!;
        var y = Tensor.Create(x.Type, x.Shape);
        if (x.Type == DataType.Double)
        {
            double lo = DoubleBound(ctx, 1, double.NegativeInfinity), hi = DoubleBound(ctx, 2, double.PositiveInfinity);
            for (int i = 0; i < x.Length; i++) y.Set(i, Math.Min(Math.Max(x.GetDouble(i), lo), hi));
        }
        else
        {
            long lo = LongBound(ctx, 1, long.MinValue), hi = LongBound(ctx, 2, long.MaxValue);
            for (int i = 0; i < x.Length; i++) y.SetLong(i, Math.Min(Math.Max(x.GetLong(i), lo), hi));
        }
        ctx.SetConst(0, y);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        if (IsFloat(ctx))
        {
            base.Emit(ctx);
            return;
        }
        // Integer and double inputs: a scalar loop with the bounds as literals of the element type.
        var type = DataTypes.CSharp(ctx.Type(0));
        string lo, hi;
        if (ctx.Type(0) == DataType.Double)
        {
            lo = Literal(DoubleBound(ctx, 1, double.NegativeInfinity));
            hi = Literal(DoubleBound(ctx, 2, double.PositiveInfinity));
        }
        else
        {
            lo = ctx.Has(1) ? $"unchecked(({type}){LongBound(ctx, 1, 0).ToString(CultureInfo.InvariantCulture)}L)" : $"{type}.MinValue";
            hi = ctx.Has(2) ? $"unchecked(({type}){LongBound(ctx, 2, 0).ToString(CultureInfo.InvariantCulture)}L)" : $"{type}.MaxValue";
        }
        ctx.W.Open("");
        ctx.W.Line($"var eai_x = {ctx.In(0)}; var eai_y = {ctx.Out(0)}; {type} eai_a = {lo}, eai_b = {hi};");
        ctx.W.Line("for (int eai_i = 0; eai_i < eai_y.Length; eai_i++) eai_y[eai_i] = eai_x[eai_i] < eai_a ? eai_a : eai_x[eai_i] > eai_b ? eai_b : eai_x[eai_i];");
        ctx.W.Close();
    }

    private static string Literal(double v) =>
        double.IsNegativeInfinity(v) ? "double.NegativeInfinity" : double.IsPositiveInfinity(v) ? "double.PositiveInfinity" : double.IsNaN(v) ? "double.NaN"
        : v.ToString("R", CultureInfo.InvariantCulture) + "d";

    private static double DoubleBound(OpContext ctx, int input, double fallback) =>
        ctx.Has(input) ? ctx.RequireConst(input, (input == 1 ? "min" : "max") + " bound").GetDouble(0) : fallback;

    private static long LongBound(OpContext ctx, int input, long fallback) =>
        ctx.Has(input) ? ctx.RequireConst(input, (input == 1 ? "min" : "max") + " bound").GetLong(0) : fallback;
}
