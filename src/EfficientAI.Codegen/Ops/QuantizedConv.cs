using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// A float Conv whose weights the Int8Quantization pass made int8: inputs x (float), w (int8, the Conv's weight
/// shape, symmetric per output channel), w_scale (float [m]) and an optional float bias [m]; the Conv's attributes,
/// plus x_scale and x_zero_point for static activation quantization (none: dynamic on every call).
/// </summary>
internal sealed class QuantizedConvOp : Operator
{
    public override string OpType => "QuantizedConv";
    public override string Domain => QuantizedMatMulOp.OpDomain;

    private sealed record Geometry(int N, int C, int H, int W, int M, int KH, int KW, int OH, int OW, int[] Args, int[] OutShape, int Group);

    private static Geometry Resolve(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var w = ctx.Shape(1);
        int group = (int)ctx.Int("group", 1);
        var win = Window.Resolve(ctx, x.Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? w.Skip(2).ToArray());
        bool is1D = x.Length == 3;
        int last = win.Kernel.Length - 1;
        int h = is1D ? 1 : x[2], kH = is1D ? 1 : win.Kernel[0], oH = is1D ? 1 : win.Output[0];
        var args = new[]
        {
            x[0], x[1], h, x[x.Length - 1], w[0], kH, win.Kernel[last], oH, win.Output[last],
            is1D ? 1 : win.Strides[0], win.Strides[last], is1D ? 0 : win.PadBegin[0], win.PadBegin[last],
            is1D ? 1 : win.Dilations[0], win.Dilations[last], group,
        };
        return new Geometry(x[0], x[1], h, x[x.Length - 1], w[0], kH, win.Kernel[last], oH, win.Output[last], args,
            new[] { x[0], w[0] }.Concat(win.Output).ToArray(), group);
    }

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, DataType.Float, Resolve(ctx).OutShape);

    public override long Macs(OpContext ctx)
    {
        var g = Resolve(ctx);
        return (long)g.N * g.M * g.OH * g.OW * (g.C / g.Group) * g.KH * g.KW;
    }

    public override long ScratchFloats(OpContext ctx)
    {
        var g = Resolve(ctx);
        long input = ((long)g.N * g.C * g.H * g.W + 63) & ~63L;
        long positions = (long)g.OH * g.OW, depth = (long)g.C / g.Group * g.KH * g.KW;
        // Int8Conv.ScratchBytes: im2col rows and int32 sums, or patches packed [depth/4][positions to 16][4], the larger.
        long rows = (positions * depth + 3) / 4 * 4 + 4 * positions * (g.M / g.Group);
        long packed = (depth + 3) / 4 * 4 * ((positions + 15) / 16 * 16);
        return Int8Operands.Floats(input + System.Math.Max(rows, packed));
    }

    public override void Emit(EmitContext ctx)
    {
        var g = Resolve(ctx);
        var w = (sbyte[])ctx.Const(1)!.Data;
        int mg = g.M / g.Group, depth = g.C / g.Group * g.KH * g.KW, packedLength = Int8Weights.PackedLength(depth, mg);
        var packed = new sbyte[g.Group * packedLength];
        var sums = new int[g.M];
        for (int group = 0; group < g.Group; group++)
            Int8Weights.Pack(w, group * mg * depth, true, depth, mg, packed, group * packedLength, sums, group * mg);
        string packedName = ctx.ConstantTable(new Tensor(DataType.Int8, new[] { packed.Length }, packed), ctx.Node.Inputs[1] + "_packed");
        string sumsName = ctx.ConstantTable(new Tensor(DataType.Int32, new[] { g.M }, sums), ctx.Node.Inputs[1] + "_sums");
        // A float bias is added after scaling; an int32 one (static quantization) to the int32 sums.
        bool intBias = ctx.Has(3) && ctx.Type(3) == DataType.Int32;
        string bias = ctx.Has(3) && !intBias ? ctx.In(3) : "default";
        ctx.W.Line($"{Int8Operands.Runtime}Int8Ops.FloatConv({ctx.In(0)}, {EmitContext.F(ctx.Float("x_scale", 0f))}, {EmitContext.I(ctx.Int("x_zero_point", 0))}, " +
            $"{packedName}, {sumsName}, {ctx.In(2)}, {bias}, {ctx.Out(0)}, {Int8Operands.ScratchBytes(ctx)}, {string.Join(", ", g.Args.Select(a => EmitContext.I(a)))}{(intBias ? ", " + ctx.In(3) : "")}" +
            // An activation fused into the float op before it was quantized runs in the kernel's epilogue.
            $"{(ctx.Node.Activation is null ? "" : ", activation: " + ctx.ActivationArgument)});");
    }
}
