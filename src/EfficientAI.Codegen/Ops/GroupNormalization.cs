using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>GroupNormalization: scale and bias per group (opset 18) or per channel (opset 21).</summary>
internal sealed class GroupNormalizationOp : Operator
{
    public override string OpType => "GroupNormalization";

    private static (int Groups, bool PerChannel) Resolve(OpContext ctx)
    {
        var x = ctx.Shape(0);
        if (x.Length < 2) throw ctx.Fail("input must have a channel axis");
        long groups = ctx.Int("num_groups", 0);
        if (groups <= 0 || x[1] % groups != 0) throw ctx.Fail($"num_groups {groups} does not divide the {x[1]} channels");
        bool perChannel = ctx.Opset >= 21;
        long expected = perChannel ? x[1] : groups;
        for (int i = 1; i <= 2; i++)
            if (Shape.Elements(ctx.Shape(i)) != expected)
                throw ctx.Fail($"input {i} has {Shape.Elements(ctx.Shape(i))} values; opset {ctx.Opset} needs one per {(perChannel ? "channel" : "group")} ({expected})");
        return ((int)groups, perChannel);
    }

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        Resolve(ctx);
        if (ctx.Int("stash_type", 1) != 1) throw ctx.Fail("stash_type must be 1 (float)");
        ctx.SetOutput(0, DataType.Float, ctx.Shape(0));
    }

    public override int InPlaceInput(OpContext ctx) => 0;

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        var (groups, perChannel) = Resolve(ctx);
        int spatial = 1;
        for (int d = 2; d < x.Length; d++) spatial = checked(spatial * x[d]);
        ctx.W.Line($"global::EfficientAI.Runtime.Normalize.Group({ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {ctx.Out(0)}, {x[0]}, {x[1]}, {spatial}, {groups}, " +
            $"{EmitContext.F(ctx.Float("epsilon", 1e-5f))}, {EmitContext.B(perChannel)});");
    }
}
