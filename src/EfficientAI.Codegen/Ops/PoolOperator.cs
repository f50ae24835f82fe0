using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Shared geometry of MaxPool and AveragePool (pads, auto_pad, ceil_mode, dilations). 1-D and 2-D pooling have
/// dedicated kernels; 3-D and more (and MaxPool's Indices output) go through the N-D kernel.
/// </summary>
internal abstract class PoolOperator : Operator
{
    protected Window Geometry(OpContext ctx)
    {
        var x = ctx.Shape(0);
        if (x.Length < 3) throw ctx.Fail($"input must be [N, C, spatial...], not {Shape.Format(x)}");
        var kernel = ctx.IntArray("kernel_shape") ?? throw ctx.Fail("kernel_shape is required");
        return Window.Resolve(ctx, x.Skip(2).ToArray(), kernel, ctx.Int("ceil_mode", 0) != 0);
    }

    /// <summary>MaxPool also takes int8 and uint8 (opset 12+), pooled in float, which holds them exactly.</summary>
    protected virtual bool AllowsBytes => false;

    protected static bool IsBytes(OpContext ctx) => ctx.Type(0) is DataType.Int8 or DataType.UInt8;

    public override void Infer(OpContext ctx)
    {
        if (!(AllowsBytes && IsBytes(ctx))) ctx.RequireFloat(0);
        var x = ctx.Shape(0);
        var shape = new[] { x[0], x[1] }.Concat(Geometry(ctx).Output).ToArray();
        ctx.SetOutput(0, ctx.Type(0), shape);
        ctx.SetOutput(1, DataType.Int64, shape);
    }

    /// <summary>
    /// Pools a constant float input at compile time, as the N-D kernel does (constant folding, calibration's
    /// compile-time run); not MaxPool's Indices output nor int8/uint8 inputs.
    /// </summary>
    protected bool EvaluatePool(OpContext ctx, bool max, bool countIncludePad)
    {
        if (ctx.HasOutput(1) || IsBytes(ctx) || ctx.Type(0) != DataType.Float) return false;
        var xs = ctx.Shape(0);
        var win = Geometry(ctx);
        var x = ctx.Const(0)!.ToFloats();
        var inShape = xs.Skip(2).ToArray();
        int r = inShape.Length, planes = xs[0] * xs[1], inPlane = Shape.ElementsInt(inShape), outPlane = Shape.ElementsInt(win.Output), window = Shape.ElementsInt(win.Kernel);
        var y = new float[planes * outPlane];
        var o = new int[r];
        var k = new int[r];
        for (int plane = 0; plane < planes; plane++)
        {
            System.Array.Clear(o, 0, r);
            for (int at = 0; at < outPlane; at++)
            {
                float best = float.NegativeInfinity;
                double sum = 0;
                int count = 0, padded = 0;
                System.Array.Clear(k, 0, r);
                for (int kn = 0; kn < window; kn++)
                {
                    int offset = 0;
                    bool inside = true, insidePadded = true;
                    for (int d = 0; d < r; d++)
                    {
                        int p = o[d] * win.Strides[d] - win.PadBegin[d] + k[d] * win.Dilations[d];
                        if (p < 0 || p >= inShape[d]) inside = false;
                        if (p < -win.PadBegin[d] || p >= inShape[d] + win.PadEnd[d]) insidePadded = false;
                        offset = offset * inShape[d] + p;
                    }
                    if (insidePadded) padded++;
                    if (inside)
                    {
                        float v = x[plane * inPlane + offset];
                        if (v > best || count == 0) best = v;
                        sum += v;
                        count++;
                    }
                    for (int d = r - 1; d >= 0 && ++k[d] == win.Kernel[d]; d--) k[d] = 0;
                }
                y[plane * outPlane + at] = max ? (count == 0 ? float.NegativeInfinity : best) : (float)(sum / (countIncludePad ? padded : count));
                for (int d = r - 1; d >= 0 && ++o[d] == win.Output[d]; d--) o[d] = 0;
            }
        }
        ctx.SetConst(0, Tensor.FromFloats(new[] { xs[0], xs[1] }.Concat(win.Output).ToArray(), y));
        return true;
    }

    /// <summary>True when the 1-D/2-D kernels apply: float, rank 3 or 4 and no Indices output.</summary>
    protected static bool Planar(OpContext ctx) => ctx.Rank(0) is 3 or 4 && !ctx.HasOutput(1) && !IsBytes(ctx);

    public override long ScratchFloats(OpContext ctx) => IsBytes(ctx) ? Shape.Elements(ctx.Shape(0)) + Shape.Elements(ctx.Output(0).RequireShape) : 0;

    /// <summary>The call of the N-D kernel (any rank, optional indices).</summary>
    protected static void EmitND(EmitContext ctx, Window win, bool max, bool countIncludePad)
    {
        var x = ctx.Shape(0);
        string indices = ctx.HasOutput(1) ? ctx.Out(1) : "global::System.Span<long>.Empty";
        string input = ctx.In(0), output = ctx.Out(0);
        bool bytes = IsBytes(ctx);
        long inCount = Shape.Elements(x), outCount = Shape.Elements(ctx.Output(0).RequireShape);
        if (bytes)
        {
            // int8/uint8 widened into the node's scratch, pooled in float, narrowed back (exact both ways).
            ctx.W.Open("");
            ctx.W.Line($"var eai_scratch = {ctx.Scratch}; var eai_xf = eai_scratch.Slice(0, {inCount}); var eai_yf = eai_scratch.Slice({inCount}, {outCount});");
            ctx.W.Line($"var eai_x = {ctx.In(0)}; for (int eai_i = 0; eai_i < eai_xf.Length; eai_i++) eai_xf[eai_i] = eai_x[eai_i];");
            (input, output) = ("eai_xf", "eai_yf");
        }
        ctx.W.Line($"global::EfficientAI.Runtime.Pool.PoolND({input}, {output}, {indices}, {checked(x[0] * x[1])}, {ctx.IntTable(x.Skip(2).ToArray())}, {ctx.IntTable(win.Output)}, " +
            $"{ctx.IntTable(win.Kernel)}, {ctx.IntTable(win.Strides)}, {ctx.IntTable(win.PadBegin)}, {ctx.IntTable(win.PadEnd)}, {ctx.IntTable(win.Dilations)}, " +
            $"{EmitContext.B(max)}, {EmitContext.B(countIncludePad)}, {EmitContext.B(ctx.Int("storage_order", 0) != 0)});");
        if (bytes)
        {
            ctx.W.Line($"var eai_y = {ctx.Out(0)}; for (int eai_i = 0; eai_i < eai_yf.Length; eai_i++) eai_y[eai_i] = unchecked(({DataTypes.CSharp(ctx.Type(0))})eai_yf[eai_i]);");
            ctx.W.Close();
        }
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
