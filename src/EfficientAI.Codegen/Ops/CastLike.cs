using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>CastLike: Cast to the element type of input 1 (whose values are not read).</summary>
internal sealed class CastLikeOp : Operator
{
    public override string OpType => "CastLike";

    public override bool SetsPrecision => true;

    /// <summary>The type input 1 stands for: a float value of float16/bfloat16 precision is that type.</summary>
    private static DataType Like(OpContext ctx) =>
        ctx.Type(1) == DataType.Float && DataTypes.IsHalf(ctx.Input(1).Precision) ? ctx.Input(1).Precision : ctx.Type(1);

    public override void Infer(OpContext ctx) => CastOp.InferTo(ctx, Like(ctx));

    public override bool TryEvaluate(OpContext ctx) => CastOp.EvaluateTo(ctx, Like(ctx));

    public override void Emit(EmitContext ctx) => CastOp.EmitTo(ctx, Like(ctx));
}
