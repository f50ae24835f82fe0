using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Shared geometry of MaxPool and AveragePool (1-D and 2-D, pads, auto_pad, ceil_mode, dilations).</summary>
internal abstract class PoolOperator : Operator
{
    protected Window Geometry(OpContext ctx)
    {
        var x = ctx.Shape(0);
        if (x.Length is not (3 or 4))
            throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { OpType, $"{ctx.Node.Display} has rank-{x.Length} input; only 1-D and 2-D pooling is supported" });
        var kernel = ctx.IntArray("kernel_shape") ?? throw ctx.Fail("kernel_shape is required");
        return Window.Resolve(ctx, x.Skip(2).ToArray(), kernel, ctx.Int("ceil_mode", 0) != 0);
    }

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        if (ctx.HasOutput(1)) throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { OpType, $"{ctx.Node.Display} asks for the Indices output, which is not supported" });
        var x = ctx.Shape(0);
        ctx.SetOutput(0, DataType.Float, new[] { x[0], x[1] }.Concat(Geometry(ctx).Output).ToArray());
    }

    /// <summary>(nc, h, w, kH, kW, oH, oW, sH, sW, padTop, padLeft, padBottom, padRight, dH, dW) with 1-D as h = 1.</summary>
    protected static int[] Args(OpContext ctx, Window win)
    {
        var x = ctx.Shape(0);
        bool d1 = x.Length == 3;
        int last = win.Kernel.Length - 1;
        return new[]
        {
            checked(x[0] * x[1]), d1 ? 1 : x[2], x[x.Length - 1], d1 ? 1 : win.Kernel[0], win.Kernel[last],
            d1 ? 1 : win.Output[0], win.Output[last], d1 ? 1 : win.Strides[0], win.Strides[last],
            d1 ? 0 : win.PadBegin[0], win.PadBegin[last], d1 ? 0 : win.PadEnd[0], win.PadEnd[last],
            d1 ? 1 : win.Dilations[0], win.Dilations[last],
        };
    }
}
