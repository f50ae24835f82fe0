using System;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Cast between numeric and bool types (C semantics: float to int truncates). Float16 and BFloat16 live in float
/// spans: a cast to them rounds to their precision (nearest, ties to even), so values match a half-precision run.
/// </summary>
internal sealed class CastOp : Operator
{
    public override string OpType => "Cast";

    public override bool SetsPrecision => true;

    public override void Infer(OpContext ctx) => InferTo(ctx, (DataType)ctx.Int("to", 0));

    public override bool TryEvaluate(OpContext ctx) => EvaluateTo(ctx, (DataType)ctx.Int("to", 0));

    public override void Emit(EmitContext ctx) => EmitTo(ctx, (DataType)ctx.Int("to", 0));

    /// <summary>The span type of a cast to <paramref name="to"/>: float16/bfloat16 are computed in float.</summary>
    private static DataType Target(OpContext ctx, DataType to)
    {
        if (DataTypes.IsHalf(to)) return DataType.Float;
        if (!DataTypes.IsRuntimeType(to))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: cast to {DataTypes.Name(to)} is not supported");
        return to;
    }

    internal static void InferTo(OpContext ctx, DataType to)
    {
        ctx.SetOutput(0, Target(ctx, to), ctx.Shape(0));
        if (ctx.HasOutput(0)) ctx.Output(0).Precision = DataTypes.IsHalf(to) ? to : DataType.Undefined;
    }

    internal static bool EvaluateTo(OpContext ctx, DataType half)
    {
        var x = ctx.Const(0)!;
        var y = Tensor.Create(Target(ctx, half), x.Shape);
        bool exactInt = DataTypes.IsInteger(x.Type) && DataTypes.IsInteger(y.Type);
        for (int i = 0; i < x.Length; i++)
        {
            if (exactInt) y.SetLong(i, x.GetLong(i));
            else if (half == DataType.Float16 && x.Type != DataType.Bool) y.Set(i, RoundToPrecision(x.GetDouble(i), 10, -14, 65520));
            else if (half == DataType.BFloat16 && x.Type != DataType.Bool) y.Set(i, RoundToPrecision((float)x.GetDouble(i), 7, -126, 3.3961775292304957e38));
            else y.Set(i, x.GetDouble(i));
        }
        ctx.SetConst(0, y);
        ctx.Output(0).Precision = DataTypes.IsHalf(half) ? half : DataType.Undefined;
        return true;
    }

    internal static void EmitTo(EmitContext ctx, DataType half)
    {
        var from = ctx.Type(0);
        var to = Target(ctx, half);
        if (from != DataType.Bool && half == DataType.Float16)
        {
            // System.Half rounds to nearest even; double goes straight to Half (no double rounding through float).
            ctx.W.Open("");
            ctx.W.Line($"var eai_x = {ctx.In(0)}; var eai_y = {ctx.Out(0)};");
            var source = from == DataType.Double ? "eai_x[eai_i]" : "(float)eai_x[eai_i]";
            ctx.W.Line($"for (int eai_i = 0; eai_i < eai_y.Length; eai_i++) eai_y[eai_i] = (float)(global::System.Half){source};");
            ctx.W.Close();
            return;
        }
        if (from != DataType.Bool && half == DataType.BFloat16)
        {
            // Round the float's top 16 bits to nearest even; NaN stays NaN (the carry could turn it into infinity).
            ctx.W.Open("");
            ctx.W.Line($"var eai_x = {ctx.In(0)}; var eai_y = {ctx.Out(0)};");
            ctx.W.Open("for (int eai_i = 0; eai_i < eai_y.Length; eai_i++)");
            ctx.W.Line("float eai_r = (float)eai_x[eai_i];");
            ctx.W.Line("uint eai_k = global::System.BitConverter.SingleToUInt32Bits(eai_r);");
            ctx.W.Line("eai_y[eai_i] = float.IsNaN(eai_r) ? eai_r : global::System.BitConverter.UInt32BitsToSingle((eai_k + 0x7FFFu + ((eai_k >> 16) & 1u)) & 0xFFFF0000u);");
            ctx.W.Close();
            ctx.W.Close();
            return;
        }
        if (from == to)
        {
            ctx.W.Line($"{ctx.In(0)}.CopyTo({ctx.Out(0)});");
            return;
        }
        string expr = to == DataType.Bool ? "eai_x[eai_i] != 0"
            : from == DataType.Bool ? $"eai_x[eai_i] ? ({DataTypes.CSharp(to)})1 : ({DataTypes.CSharp(to)})0"
            : $"unchecked(({DataTypes.CSharp(to)})eai_x[eai_i])";
        ctx.W.Open("");
        ctx.W.Line($"var eai_x = {ctx.In(0)}; var eai_y = {ctx.Out(0)};");
        ctx.W.Line($"for (int eai_i = 0; eai_i < eai_y.Length; eai_i++) eai_y[eai_i] = {expr};");
        ctx.W.Close();
    }

    /// <summary>
    /// Rounds to a binary format with <paramref name="mantissaBits"/> stored bits and minimum normal exponent
    /// <paramref name="minExponent"/> (nearest, ties to even); magnitudes from <paramref name="overflow"/> become infinity.
    /// </summary>
    internal static double RoundToPrecision(double v, int mantissaBits, int minExponent, double overflow)
    {
        if (double.IsNaN(v) || double.IsInfinity(v) || v == 0) return v;
        double a = Math.Abs(v);
        if (a >= overflow) return v > 0 ? double.PositiveInfinity : double.NegativeInfinity;
        int exponent = Math.Max(minExponent, (int)Math.Floor(Math.Log(a, 2)));
        // Log may be off by one ulp next to a power of two.
        if (Math.Pow(2, exponent) > a && exponent > minExponent) exponent--;
        else if (Math.Pow(2, exponent + 1) <= a) exponent++;
        double quantum = Math.Pow(2, exponent - mantissaBits);
        double r = Math.Round(a / quantum, MidpointRounding.ToEven) * quantum;
        return v > 0 ? r : -r;
    }
}
