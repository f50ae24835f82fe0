using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Softmax: before opset 13 over the input flattened to 2-D at axis (default 1); from 13 over one axis (default -1).</summary>
internal class SoftmaxOp : Operator
{
    public override string OpType => "Softmax";

    protected virtual bool Log => false;

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        ctx.SetOutput(0, DataType.Float, ctx.Shape(0));
    }

    public override int InPlaceInput(OpContext ctx) => 0;

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        bool legacy = ctx.Opset < 13;
        int axis = x.Length == 0 ? 0 : Shape.Axis(ctx.Int("axis", legacy ? 1 : -1), x.Length);
        int outer = 1, size = 1, inner = 1;
        for (int d = 0; d < x.Length; d++)
        {
            if (d < axis) outer = checked(outer * x[d]);
            else if (d == axis || legacy) size = checked(size * x[d]);
            else inner = checked(inner * x[d]);
        }
        ctx.W.Line($"global::EfficientAI.Runtime.Normalization.Softmax({ctx.In(0)}, {ctx.Out(0)}, {outer}, {size}, {inner}, {EmitContext.B(Log)});");
    }
}
