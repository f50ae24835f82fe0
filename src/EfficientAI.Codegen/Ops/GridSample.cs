using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// GridSample (4-D): X [N, C, H, W] read at the normalized (x, y) of grid [N, outH, outW, 2]; mode bilinear (default),
/// nearest or bicubic; padding_mode zeros (default), border or reflection; align_corners.
/// </summary>
internal sealed class GridSampleOp : Operator
{
    public override string OpType => "GridSample";

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        ctx.RequireFloat(1);
        var x = ctx.Shape(0);
        var grid = ctx.Shape(1);
        if (x.Length != 4) throw ctx.Fail($"input must be [N, C, H, W]; {x.Length - 2}-D sampling is not supported");
        if (grid.Length != 4 || grid[0] != x[0] || grid[3] != 2) throw ctx.Fail($"grid must be [{x[0]}, outH, outW, 2], not {Shape.Format(grid)}");
        Mode(ctx);
        Padding(ctx);
        ctx.SetOutput(0, DataType.Float, new[] { x[0], x[1], grid[1], grid[2] });
    }

    private static string Mode(OpContext ctx) => ctx.Str("mode", "bilinear") switch
    {
        "bilinear" or "linear" => "Bilinear",
        "nearest" => "Nearest",
        "bicubic" or "cubic" => "Bicubic",
        var m => throw ctx.Fail($"mode '{m}' is not bilinear, nearest or bicubic"),
    };

    private static string Padding(OpContext ctx) => ctx.Str("padding_mode", "zeros") switch
    {
        "zeros" => "Zeros",
        "border" => "Border",
        "reflection" => "Reflection",
        var p => throw ctx.Fail($"padding_mode '{p}' is not zeros, border or reflection"),
    };

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        var grid = ctx.Shape(1);
        ctx.W.Line($"global::EfficientAI.Runtime.Sampling.GridSample({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {x[0]}, {x[1]}, {x[2]}, {x[3]}, {grid[1]}, {grid[2]}, " +
            $"global::EfficientAI.Runtime.GridSampleMode.{Mode(ctx)}, global::EfficientAI.Runtime.GridSamplePadding.{Padding(ctx)}, {EmitContext.B(ctx.Int("align_corners", 0) != 0)});");
    }
}
