using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>DequantizeLinear: y = (x - zero_point) * scale for uint8, int8 or int32 x, per tensor or per axis.</summary>
internal sealed class DequantizeLinearOp : Operator
{
    public override string OpType => "DequantizeLinear";

    private static (int Outer, int Channels, int Inner) Resolve(OpContext ctx)
    {
        var t = ctx.Type(0);
        if (t is not (DataType.UInt8 or DataType.Int8 or DataType.Int32))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: dequantization of {DataTypes.Name(t)} is not supported (uint8, int8 and int32 are)");
        if (ctx.Int("block_size", 0) != 0)
            throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "DequantizeLinear", $"{ctx.Node.Display} uses blocked quantization (block_size); only per-tensor and per-axis are supported" });
        var x = ctx.Shape(0);
        bool perAxis = Shape.Elements(ctx.Shape(1)) != 1;
        int axis = perAxis ? Int8Operands.AxisOf(ctx, x, ctx.Int("axis", 1)) : 0;
        var split = perAxis ? Int8Operands.Split(x, axis) : (1, 1, Shape.ElementsInt(x));
        Int8Operands.CheckScale(ctx, 1, split.Item2);
        if (ctx.Has(2)) Int8Operands.CheckZero(ctx, 2, 0, split.Item2);
        return split;
    }

    public override void Infer(OpContext ctx)
    {
        Resolve(ctx);
        ctx.SetOutput(0, DataType.Float, ctx.Shape(0));
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var (outer, channels, inner) = Resolve(ctx);
        var x = ctx.Const(0)!;
        var scale = ctx.Const(1)!.ToFloats();
        var zero = ctx.Has(2) ? ctx.Const(2) : null;
        var y = new float[x.Length];
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int ch = 0; ch < channels; ch++)
            {
                float s = scale[scale.Length == 1 ? 0 : ch];
                long z = zero is null ? 0 : zero.GetLong(zero.Length == 1 ? 0 : ch);
                for (int t = 0; t < inner; t++, i++) y[i] = (float)(x.GetLong(i) - z) * s;
            }
        ctx.SetConst(0, Tensor.FromFloats(ctx.Shape(0), y));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var (outer, channels, inner) = Resolve(ctx);
        string zero = ctx.Has(2) ? ctx.In(2) : "default";
        string kernel = ctx.Type(0) switch { DataType.Int8 => "FromInt8", DataType.Int32 => "FromInt32", _ => "FromUInt8" };
        ctx.W.Line($"{Int8Operands.Runtime}Quantize.{kernel}({ctx.In(0)}, {ctx.In(1)}, {zero}, {ctx.Out(0)}, {outer}, {channels}, {inner});");
    }
}
