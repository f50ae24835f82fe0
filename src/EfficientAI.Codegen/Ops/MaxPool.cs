using EfficientAI.Codegen.Emit;

namespace EfficientAI.Codegen.Ops;

/// <summary>MaxPool (any rank; float, int8, uint8) with the optional Indices output (storage_order). Padded positions never win.</summary>
internal sealed class MaxPoolOp : PoolOperator
{
    public override string OpType => "MaxPool";

    protected override bool AllowsBytes => true;

    public override bool TryEvaluate(OpContext ctx) => EvaluatePool(ctx, max: true, countIncludePad: false);

    public override void Emit(EmitContext ctx)
    {
        if (!Planar(ctx))
        {
            EmitND(ctx, Geometry(ctx), max: true, countIncludePad: false);
            return;
        }
        var a = Args(ctx, Geometry(ctx));
        ctx.W.Line($"global::EfficientAI.Runtime.Pool.MaxPool2D({ctx.In(0)}, {ctx.Out(0)}, {a[0]}, {a[1]}, {a[2]}, {a[3]}, {a[4]}, {a[5]}, {a[6]}, {a[7]}, {a[8]}, {a[9]}, {a[10]}, {a[13]}, {a[14]});");
    }
}
