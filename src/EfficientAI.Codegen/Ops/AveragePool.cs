using EfficientAI.Codegen.Emit;

namespace EfficientAI.Codegen.Ops;

/// <summary>AveragePool (any rank) with count_include_pad.</summary>
internal sealed class AveragePoolOp : PoolOperator
{
    public override string OpType => "AveragePool";

    public override void Infer(OpContext ctx)
    {
        var d = ctx.IntArray("dilations");
        if (d is not null && System.Array.Exists(d, v => v != 1)) throw ctx.Fail("dilated AveragePool is not supported");
        base.Infer(ctx);
    }

    public override bool TryEvaluate(OpContext ctx) => EvaluatePool(ctx, max: false, ctx.Int("count_include_pad", 0) != 0);

    public override void Emit(EmitContext ctx)
    {
        bool include = ctx.Int("count_include_pad", 0) != 0;
        if (!Planar(ctx))
        {
            EmitND(ctx, Geometry(ctx), max: false, include);
            return;
        }
        var a = Args(ctx, Geometry(ctx));
        ctx.W.Line($"global::EfficientAI.Runtime.Pool.AveragePool2D({ctx.In(0)}, {ctx.Out(0)}, {a[0]}, {a[1]}, {a[2]}, {a[3]}, {a[4]}, {a[5]}, {a[6]}, {a[7]}, {a[8]}, {a[9]}, {a[10]}, {a[11]}, {a[12]}, {EmitContext.B(include)});");
    }
}
