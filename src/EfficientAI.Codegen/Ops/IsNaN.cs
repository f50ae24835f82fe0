using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>IsNaN: bool per element of a float or double tensor.</summary>
internal sealed class IsNaNOp : Operator
{
    public override string OpType => "IsNaN";

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, DataType.Bool, FloatClassTest.RequireFloatShape(ctx));

    public override bool TryEvaluate(OpContext ctx) => FloatClassTest.Fold(ctx, double.IsNaN);

    public override void Emit(EmitContext ctx) => FloatClassTest.Emit(ctx, $"{DataTypes.CSharp(ctx.Type(0))}.IsNaN(eai_x[eai_i])");
}

/// <summary>What IsNaN and IsInf share: a float or double input and a bool output of its shape.</summary>
internal static class FloatClassTest
{
    public static int[] RequireFloatShape(OpContext ctx)
    {
        if (ctx.Type(0) is not (DataType.Float or DataType.Double))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: input '{ctx.Node.Inputs[0]}' is {DataTypes.Name(ctx.Type(0))}; {ctx.Node.OpType} supports float and double");
        return ctx.Shape(0);
    }

    public static bool Fold(OpContext ctx, System.Func<double, bool> test)
    {
        var x = ctx.Const(0)!;
        var y = new bool[x.Length];
        for (int i = 0; i < y.Length; i++) y[i] = test(x.GetDouble(i));
        ctx.SetConst(0, new Tensor(DataType.Bool, x.Shape, y));
        return true;
    }

    /// <summary>A loop setting y[i] to <paramref name="test"/>, an expression of eai_x[eai_i].</summary>
    public static void Emit(EmitContext ctx, string test)
    {
        ctx.W.Open("");
        ctx.W.Line($"var eai_x = {ctx.In(0)}; var eai_y = {ctx.Out(0)};");
        ctx.W.Line($"for (int eai_i = 0; eai_i < eai_y.Length; eai_i++) eai_y[eai_i] = {test};");
        ctx.W.Close();
    }
}
