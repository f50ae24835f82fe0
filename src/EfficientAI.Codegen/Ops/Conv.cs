using System;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Conv: groups, dilations, explicit/asymmetric pads, auto_pad, kernel_shape inferred from W. 1-D and 2-D use the
/// im2col/GEMM kernel; 3-D and more a direct N-D kernel.
/// </summary>
internal sealed class ConvOp : Operator
{
    public override string OpType => "Conv";

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        ctx.RequireFloat(1);
        var x = ctx.Shape(0);
        var w = ctx.Shape(1);
        if (x.Length < 3) throw ctx.Fail($"input must be [N, C, spatial...], not {Shape.Format(x)}");
        if (w.Length != x.Length) throw ctx.Fail($"weight rank {w.Length} differs from input rank {x.Length}");
        int group = (int)ctx.Int("group", 1);
        if (group <= 0 || x[1] % group != 0 || w[0] % group != 0 || w[1] * group != x[1])
            throw ctx.Fail($"group {group} does not divide input channels {x[1]} and weight {Shape.Format(w)}");
        if (ctx.Has(2) && Shape.Elements(ctx.Shape(2)) != w[0]) throw ctx.Fail($"bias has {Shape.Elements(ctx.Shape(2))} values, expected {w[0]}");
        var window = Window.Resolve(ctx, x.Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? w.Skip(2).ToArray());
        ctx.SetOutput(0, DataType.Float, new[] { x[0], w[0] }.Concat(window.Output).ToArray());
    }

    public override long Macs(OpContext ctx)
    {
        var w = ctx.Shape(1);
        return Shape.Elements(ctx.Output(0).RequireShape) * Shape.Elements(w.Skip(1).ToArray());
    }

    /// <summary>
    /// im2col columns for a block of output pixels in the packed GEMM layout (Conv.Conv2D with scratch). The block
    /// is at most 256 pixels and 256 KB, and no larger than the Conv's own input or output tensor, so the scratch
    /// never dominates a small model's arena; at least one 16-pixel panel. None for depthwise convolutions.
    /// </summary>
    public override long ScratchFloats(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var w = ctx.Shape(1);
        var y = ctx.Output(0).RequireShape;
        int group = (int)ctx.Int("group", 1);
        int cg = x[1] / group, mg = w[0] / group;
        if (cg == 1 && mg == 1) return 0;
        long depth = Shape.Elements(w.Skip(1).ToArray());
        long pixels = Shape.Elements(y.Skip(2).ToArray());
        if (depth == 0 || pixels == 0) return 0;
        long tensor = Math.Max(Shape.Elements(x), Shape.Elements(y));
        long block = Math.Min(256, Math.Min(65536, tensor) / depth) / PanelWidth * PanelWidth;
        block = Math.Min(Math.Max(PanelWidth, block), (pixels + PanelWidth - 1) / PanelWidth * PanelWidth);
        return depth * block;
    }

    private const int PanelWidth = PackedWeights.PanelWidth;

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        var w = ctx.Shape(1);
        var y = ctx.Output(0).RequireShape;
        var win = Window.Resolve(ctx, x.Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? w.Skip(2).ToArray());
        if (x.Length > 4)
        {
            ctx.W.Line($"global::EfficientAI.Runtime.Conv.ConvND({ctx.In(0)}, {ctx.In(1)}, {(ctx.Has(2) ? ctx.In(2) : "default")}, {ctx.Out(0)}, {x[0]}, {x[1]}, {w[0]}, " +
                $"{ctx.IntTable(x.Skip(2).ToArray())}, {ctx.IntTable(win.Output)}, {ctx.IntTable(win.Kernel)}, {ctx.IntTable(win.Strides)}, {ctx.IntTable(win.PadBegin)}, " +
                $"{ctx.IntTable(win.Dilations)}, {ctx.Int("group", 1)});");
            ctx.EmitActivation(ctx.Out(0));
            return;
        }
        bool is1D = x.Length == 3;
        int h = is1D ? 1 : x[2], wi = x[x.Length - 1];
        int kH = is1D ? 1 : win.Kernel[0], kW = win.Kernel[win.Kernel.Length - 1];
        int oH = is1D ? 1 : y[2], oW = y[y.Length - 1];
        int last = win.Kernel.Length - 1;
        string bias = ctx.Has(2) ? ctx.In(2) : "default";
        string I(long v) => EmitContext.I(v);
        if (ctx.Int("group", 1) == 1 && ScratchFloats(ctx) > 0 && ctx.Const(1) is { Type: DataType.Float } weight && SparseWeights.Sparsity(weight) >= SparseWeights.ConvMinSparsity)
        {
            // Pruned weights (Prune) mostly zero: the same im2col columns, multiplied by each filter's nonzeros only.
            var (start, rows, values, nonzeros) = SparseWeights.Tables(ctx, weight, weight.Length / w[0], w[0], transB: true, alpha: 1f);
            ctx.W.Line($"// sparse weights: {nonzeros} of {weight.Length} nonzero, CSR by filter");
            ctx.W.Line($"global::EfficientAI.Runtime.Conv.Conv2DSparse({ctx.In(0)}, {start}, {rows}, {values}, {bias}, {ctx.Out(0)}, " +
                $"{I(x[0])}, {I(x[1])}, {I(h)}, {I(wi)}, {I(w[0])}, {I(kH)}, {I(kW)}, {I(oH)}, {I(oW)}, " +
                $"{I(is1D ? 1 : win.Strides[0])}, {I(win.Strides[last])}, {I(is1D ? 0 : win.PadBegin[0])}, {I(win.PadBegin[last])}, " +
                $"{I(is1D ? 1 : win.Dilations[0])}, {I(win.Dilations[last])}, {ctx.Scratch}, {ctx.ActivationArgument});");
            return;
        }
        ctx.W.Line($"global::EfficientAI.Runtime.Conv.Conv2D({ctx.In(0)}, {ctx.In(1)}, {bias}, {ctx.Out(0)}, " +
            $"{I(x[0])}, {I(x[1])}, {I(h)}, {I(wi)}, {I(w[0])}, {I(kH)}, {I(kW)}, {I(oH)}, {I(oW)}, " +
            $"{I(is1D ? 1 : win.Strides[0])}, {I(win.Strides[last])}, {I(is1D ? 0 : win.PadBegin[0])}, {I(win.PadBegin[last])}, " +
            $"{I(is1D ? 1 : win.Dilations[0])}, {I(win.Dilations[last])}, {I(ctx.Int("group", 1))}" +
            (ScratchFloats(ctx) > 0 ? $", {ctx.Scratch}, {ctx.ActivationArgument});" : ");"));
        if (ScratchFloats(ctx) == 0) ctx.EmitActivation(ctx.Out(0));
    }
}
