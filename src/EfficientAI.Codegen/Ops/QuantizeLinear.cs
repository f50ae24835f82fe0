using System;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>QuantizeLinear: y = saturate(round(x / scale) + zero_point) to uint8 or int8, per tensor or per axis.</summary>
internal sealed class QuantizeLinearOp : Operator
{
    public override string OpType => "QuantizeLinear";

    private static (DataType Type, int Outer, int Channels, int Inner) Resolve(OpContext ctx)
    {
        ctx.RequireFloat(0);
        if (ctx.Int("block_size", 0) != 0)
            throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "QuantizeLinear", $"{ctx.Node.Display} uses blocked quantization (block_size); only per-tensor and per-axis are supported" });
        var x = ctx.Shape(0);
        var type = ctx.Has(2) ? ctx.Type(2) : (DataType)ctx.Int("output_dtype", (long)DataType.UInt8);
        if (type == DataType.Undefined) type = DataType.UInt8;
        if (type is not (DataType.UInt8 or DataType.Int8))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: quantization to {DataTypes.Name(type)} is not supported (uint8 and int8 are)");
        bool perAxis = Shape.Elements(ctx.Shape(1)) != 1;
        int axis = perAxis ? Int8Operands.AxisOf(ctx, x, ctx.Int("axis", 1)) : 0;
        var (outer, channels, inner) = perAxis ? Int8Operands.Split(x, axis) : (1, 1, Shape.ElementsInt(x));
        Int8Operands.CheckScale(ctx, 1, channels);
        if (ctx.Has(2)) Int8Operands.CheckZero(ctx, 2, 2, channels);
        return (type, outer, channels, inner);
    }

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, Resolve(ctx).Type, ctx.Shape(0));

    public override bool TryEvaluate(OpContext ctx)
    {
        var (type, outer, channels, inner) = Resolve(ctx);
        var x = ctx.Const(0)!.ToFloats();
        var scale = ctx.Const(1)!.ToFloats();
        var zero = ctx.Has(2) ? ctx.Const(2) : null;
        var y = Tensor.Create(type, ctx.Shape(0));
        int lo = type == DataType.Int8 ? -128 : 0, hi = type == DataType.Int8 ? 127 : 255;
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int ch = 0; ch < channels; ch++)
            {
                float s = scale[scale.Length == 1 ? 0 : ch];
                long z = zero is null ? 0 : zero.GetLong(zero.Length == 1 ? 0 : ch);
                for (int t = 0; t < inner; t++, i++)
                {
                    double v = Math.Round((double)(x[i] / s)) + z;
                    y.SetLong(i, double.IsNaN(v) || v < lo ? lo : v > hi ? hi : (long)v);
                }
            }
        ctx.SetConst(0, y);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var (type, outer, channels, inner) = Resolve(ctx);
        string zero = ctx.Has(2) ? ctx.In(2) : "default";
        string kernel = type == DataType.Int8 ? "ToInt8" : "ToUInt8";
        ctx.W.Line($"{Int8Operands.Runtime}Quantize.{kernel}({ctx.In(0)}, {ctx.In(1)}, {zero}, {ctx.Out(0)}, {outer}, {channels}, {inner});");
    }
}
