using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx;

namespace EfficientAI.Codegen.Ops;

/// <summary>ConstantOfShape: the shape input must be constant; the fill value defaults to float 0.</summary>
internal sealed class ConstantOfShapeOp : Operator
{
    public override string OpType => "ConstantOfShape";

    private static Tensor FillValue(OpContext ctx) =>
        ctx.Attr("value") is { } a ? TensorReader.Read(a.T) : Tensor.FromFloats(new[] { 1 }, new[] { 0f });

    public override void Infer(OpContext ctx)
    {
        var shape = ctx.RequireConst(0, "shape").ToInts();
        foreach (var d in shape) if (d < 0) throw ctx.Fail($"shape [{string.Join(",", shape)}] has a negative dimension");
        ctx.SetOutput(0, FillValue(ctx).Type, shape);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var value = FillValue(ctx);
        var t = Tensor.Create(value.Type, ctx.Output(0).RequireShape);
        for (int i = 0; i < t.Length; i++) System.Array.Copy(value.Data, 0, t.Data, i, 1);
        ctx.SetConst(0, t);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        ctx.W.Line($"{ctx.Out(0)}.Fill({EmitContext.Scalar(FillValue(ctx), 0)});");
    }
}
