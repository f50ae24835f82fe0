using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>InstanceNormalization: each (batch, channel) plane standardized, then scaled and shifted per channel.</summary>
internal sealed class InstanceNormalizationOp : Operator
{
    public override string OpType => "InstanceNormalization";

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        var x = ctx.Shape(0);
        if (x.Length < 2) throw ctx.Fail("input must have a channel axis");
        for (int i = 1; i <= 2; i++)
            if (Shape.Elements(ctx.Shape(i)) != x[1]) throw ctx.Fail($"input {i} must have {x[1]} values (one per channel)");
        ctx.SetOutput(0, DataType.Float, x);
    }

    public override int InPlaceInput(OpContext ctx) => 0;

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        int spatial = 1;
        for (int d = 2; d < x.Length; d++) spatial = checked(spatial * x[d]);
        ctx.W.Line($"global::EfficientAI.Runtime.Normalize.Group({ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {ctx.Out(0)}, {x[0]}, {x[1]}, {spatial}, {x[1]}, " +
            $"{EmitContext.F(ctx.Float("epsilon", 1e-5f))}, true);");
    }
}
