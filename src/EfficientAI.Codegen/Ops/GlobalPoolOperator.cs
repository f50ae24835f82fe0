using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Global pooling: one value per (batch, channel) over all spatial positions.</summary>
internal abstract class GlobalPoolOperator : Operator
{
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
        long channels = (long)x[0] * x[1];
        long spatial = channels == 0 ? 0 : Shape.Elements(x) / channels;
        ctx.W.Line($"global::EfficientAI.Runtime.Pool.{OpType}({ctx.In(0)}, {ctx.Out(0)}, {channels}, {spatial});");
    }
}
