using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>IsInf: bool per element of a float or double tensor; detect_positive/detect_negative choose the signs.</summary>
internal sealed class IsInfOp : Operator
{
    public override string OpType => "IsInf";

    private static (bool Positive, bool Negative) Signs(OpContext ctx) => (ctx.Int("detect_positive", 1) != 0, ctx.Int("detect_negative", 1) != 0);

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, DataType.Bool, FloatClassTest.RequireFloatShape(ctx));

    public override bool TryEvaluate(OpContext ctx)
    {
        var (positive, negative) = Signs(ctx);
        return FloatClassTest.Fold(ctx, v => (positive && double.IsPositiveInfinity(v)) || (negative && double.IsNegativeInfinity(v)));
    }

    public override void Emit(EmitContext ctx)
    {
        var (positive, negative) = Signs(ctx);
        string type = DataTypes.CSharp(ctx.Type(0));
        string test = positive && negative ? $"{type}.IsInfinity(eai_x[eai_i])"
            : positive ? $"{type}.IsPositiveInfinity(eai_x[eai_i])"
            : negative ? $"{type}.IsNegativeInfinity(eai_x[eai_i])"
            : "false";
        FloatClassTest.Emit(ctx, test);
    }
}
