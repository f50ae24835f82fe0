using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>ConvInteger: int32 convolution of (x - x_zero_point) and (w - w_zero_point), uint8/int8, 1-D and 2-D.</summary>
internal sealed class ConvIntegerOp : Operator
{
    public override string OpType => "ConvInteger";

    /// <summary>The 2-D view of an integer convolution (1-D has h = kH = oH = 1), as the runtime takes it.</summary>
    internal sealed record Geometry(int N, int C, int H, int W, int M, int KH, int KW, int OH, int OW,
        int StrideH, int StrideW, int PadTop, int PadLeft, int DilationH, int DilationW, int Group, int[] OutShape)
    {
        public string Arguments => string.Join(", ", new[] { N, C, H, W, M, KH, KW, OH, OW, StrideH, StrideW, PadTop, PadLeft, DilationH, DilationW, Group }
            .Select(v => EmitContext.I(v)));

        public long ScratchFloats => Int8Operands.Floats(Int8Operands.ConvScratchBytes(C, M, KH, KW, OH, OW, Group));

        public long Macs => (long)N * M * OH * OW * (C / Group) * KH * KW;
    }

    internal static Geometry Resolve(OpContext ctx, int xInput, int wInput)
    {
        Int8Operands.RequireByte(ctx, xInput);
        Int8Operands.RequireByte(ctx, wInput);
        var x = ctx.Shape(xInput);
        var w = ctx.Shape(wInput);
        if (x.Length is not (3 or 4))
            throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { ctx.Node.OpType, $"{ctx.Node.Display} has rank-{x.Length} input; only 1-D and 2-D convolutions are supported" });
        if (w.Length != x.Length) throw ctx.Fail($"weight rank {w.Length} differs from input rank {x.Length}");
        int group = (int)ctx.Int("group", 1);
        if (group <= 0 || x[1] % group != 0 || w[0] % group != 0 || w[1] * group != x[1])
            throw ctx.Fail($"group {group} does not divide input channels {x[1]} and weight {Shape.Format(w)}");
        var win = Window.Resolve(ctx, x.Skip(2).ToArray(), ctx.IntArray("kernel_shape") ?? w.Skip(2).ToArray());
        bool is1D = x.Length == 3;
        int last = win.Kernel.Length - 1;
        var outShape = new[] { x[0], w[0] }.Concat(win.Output).ToArray();
        return new Geometry(x[0], x[1], is1D ? 1 : x[2], x[x.Length - 1], w[0], is1D ? 1 : win.Kernel[0], win.Kernel[last],
            is1D ? 1 : win.Output[0], win.Output[last], is1D ? 1 : win.Strides[0], win.Strides[last],
            is1D ? 0 : win.PadBegin[0], win.PadBegin[last], is1D ? 1 : win.Dilations[0], win.Dilations[last], group, outShape);
    }

    private static Geometry Check(OpContext ctx)
    {
        var g = Resolve(ctx, 0, 1);
        if (ctx.Has(2)) Int8Operands.CheckZero(ctx, 2, 0, 1);
        if (ctx.Has(3)) Int8Operands.CheckZero(ctx, 3, 1, g.M);
        return g;
    }

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, DataType.Int32, Check(ctx).OutShape);

    public override long Macs(OpContext ctx) => Check(ctx).Macs;

    public override long ScratchFloats(OpContext ctx) => Check(ctx).ScratchFloats;

    public override void Emit(EmitContext ctx)
    {
        var g = Check(ctx);
        string S(int i) => EmitContext.B(ctx.Type(i) == DataType.Int8);
        ctx.W.Line($"{Int8Operands.Runtime}Int8Ops.ConvInteger({Int8Operands.Bytes(ctx, 0)}, {S(0)}, {Int8Operands.Bytes(ctx, 2)}, " +
            $"{Int8Operands.Bytes(ctx, 1)}, {S(1)}, {Int8Operands.Bytes(ctx, 3)}, {ctx.Out(0)}, {Int8Operands.ScratchBytes(ctx)}, {g.Arguments});");
    }
}
