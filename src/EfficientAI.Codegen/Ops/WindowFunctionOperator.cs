using System;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Blackman, Hamming and Hann windows: w[n] = a0 - a1 cos(t n) + a2 cos(2 t n) for n in [0, size), t = 2 pi / size when
/// periodic (default), 2 pi / (size - 1) when symmetric. The size decides the output shape, so it must be constant;
/// the window is then a constant.
/// </summary>
internal abstract class WindowFunctionOperator : Operator
{
    protected abstract (double A0, double A1, double A2) Coefficients { get; }

    public override void Infer(OpContext ctx)
    {
        var sizeTensor = ctx.RequireConst(0, "window size");
        if (sizeTensor.Length != 1 || !DataTypes.IsInteger(sizeTensor.Type)) throw ctx.Fail("size must be one integer");
        long size = sizeTensor.GetLong(0);
        if (size < 0 || size > 1 << 24) throw ctx.Fail($"size {size} is outside [0, 2^24]");
        var type = (DataType)ctx.Int("output_datatype", 1);
        if (!DataTypes.IsRuntimeType(type) && !DataTypes.IsHalf(type))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: output_datatype {DataTypes.Name(type)} is not supported");
        bool periodic = ctx.Int("periodic", 1) != 0;
        var (a0, a1, a2) = Coefficients;
        double step = 2 * Math.PI / (periodic ? size : size - 1);
        var y = Tensor.Create(DataTypes.IsHalf(type) ? DataType.Float : type, new[] { (int)size });
        for (int n = 0; n < size; n++)
            y.Set(n, Onnx.HalfPrecisionBoundary.Round(a0 - a1 * Math.Cos(step * n) + a2 * Math.Cos(2 * step * n), type));
        ctx.SetConst(0, y);
        if (DataTypes.IsHalf(type)) ctx.Output(0).Precision = type;
    }

    public override bool SetsPrecision => true;

    public override bool TryEvaluate(OpContext ctx) => true;

    public override void Emit(EmitContext ctx) => throw ctx.Fail($"{OpType} is always folded");
}
