using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

internal sealed class NegOp : UnaryOperator
{
    public override string OpType => "Neg";
    protected override float Apply(float x, float alpha, float beta) => -x;

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, ctx.Type(0), ctx.Shape(0));

    public override bool TryEvaluate(OpContext ctx)
    {
        var x = ctx.Const(0)!;
        var y = Tensor.Create(x.Type, x.Shape);
        for (int i = 0; i < x.Length; i++)
            if (DataTypes.IsInteger(x.Type)) y.SetLong(i, -x.GetLong(i)); else y.Set(i, -x.GetDouble(i));
        ctx.SetConst(0, y);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        ctx.RequireFloat(0);
        base.Emit(ctx);
    }
}
