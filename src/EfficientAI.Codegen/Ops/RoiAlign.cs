using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// RoiAlign: X [N, C, H, W], rois [R, 4], batch_indices [R] -> [R, C, output_height, output_width]; mode avg (default)
/// or max, sampling_ratio, spatial_scale, coordinate_transformation_mode half_pixel (default from opset 16) or
/// output_half_pixel (the only behaviour before 16).
/// </summary>
internal sealed class RoiAlignOp : Operator
{
    public override string OpType => "RoiAlign";

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        ctx.RequireFloat(1);
        var x = ctx.Shape(0);
        var rois = ctx.Shape(1);
        if (x.Length != 4) throw ctx.Fail($"input must be [N, C, H, W], not {Shape.Format(x)}");
        if (rois.Length != 2 || rois[1] != 4) throw ctx.Fail($"rois must be [R, 4], not {Shape.Format(rois)}");
        if (!DataTypes.IsInteger(ctx.Type(2)) || !Shape.Equal(ctx.Shape(2), new[] { rois[0] })) throw ctx.Fail($"batch_indices must be integers of shape [{rois[0]}]");
        if (ctx.Str("mode", "avg") is not ("avg" or "max")) throw ctx.Fail("mode must be avg or max");
        HalfPixel(ctx);
        int outH = (int)ctx.Int("output_height", 1), outW = (int)ctx.Int("output_width", 1);
        if (outH <= 0 || outW <= 0) throw ctx.Fail("output_height and output_width must be positive");
        ctx.SetOutput(0, DataType.Float, new[] { rois[0], x[1], outH, outW });
    }

    private static bool HalfPixel(OpContext ctx) => ctx.Str("coordinate_transformation_mode", ctx.Opset >= 16 ? "half_pixel" : "output_half_pixel") switch
    {
        "half_pixel" => true,
        "output_half_pixel" => false,
        var m => throw ctx.Fail($"coordinate_transformation_mode '{m}' is not half_pixel or output_half_pixel"),
    };

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        var y = ctx.Output(0).RequireShape;
        ctx.W.Line($"global::EfficientAI.Runtime.Sampling.RoiAlign<{DataTypes.CSharp(ctx.Type(2))}>({ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {ctx.Out(0)}, {x[0]}, {x[1]}, {x[2]}, {x[3]}, " +
            $"{y[0]}, {y[2]}, {y[3]}, {ctx.Int("sampling_ratio", 0)}, {EmitContext.F(ctx.Float("spatial_scale", 1f))}, {EmitContext.B(HalfPixel(ctx))}, {EmitContext.B(ctx.Str("mode", "avg") == "max")});");
    }
}
