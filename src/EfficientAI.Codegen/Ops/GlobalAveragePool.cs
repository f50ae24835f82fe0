using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>GlobalAveragePool: one value per (batch, channel) over all spatial positions.</summary>
internal sealed class GlobalAveragePoolOp : Operator
{
    public override string OpType => "GlobalAveragePool";

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        var x = ctx.Shape(0);
        if (x.Length < 3) throw ctx.Fail("input must be [N, C, spatial...]");
        var y = new int[x.Length];
        y[0] = x[0];
        y[1] = x[1];
        for (int i = 2; i < y.Length; i++) y[i] = 1;
        ctx.SetOutput(0, DataType.Float, y);
    }

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        long spatial = Shape.Elements(x) / ((long)x[0] * x[1]);
        ctx.W.Line($"global::EfficientAI.Runtime.Pool.GlobalAveragePool({ctx.In(0)}, {ctx.Out(0)}, {x[0] * x[1]}, {spatial});");
    }
}
