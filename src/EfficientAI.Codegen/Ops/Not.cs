using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

internal sealed class NotOp : Operator
{
    public override string OpType => "Not";

    public override void Infer(OpContext ctx)
    {
        if (ctx.Type(0) != DataType.Bool) throw ctx.Fail($"input must be bool, not {DataTypes.Name(ctx.Type(0))}");
        ctx.SetOutput(0, DataType.Bool, ctx.Shape(0));
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var x = ctx.Const(0)!;
        var y = new bool[x.Length];
        for (int i = 0; i < y.Length; i++) y[i] = x.GetLong(i) == 0;
        ctx.SetConst(0, new Tensor(DataType.Bool, x.Shape, y));
        return true;
    }

    public override void Emit(EmitContext ctx) => ctx.W.Line($"global::EfficientAI.Runtime.Compare.Not({ctx.In(0)}, {ctx.Out(0)});");
}
