using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>DynamicQuantizeLinear: uint8 quantization with a scale and zero point computed from x's range (and 0) at run time.</summary>
internal sealed class DynamicQuantizeLinearOp : Operator
{
    public override string OpType => "DynamicQuantizeLinear";

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        ctx.SetOutput(0, DataType.UInt8, ctx.Shape(0));
        ctx.SetOutput(1, DataType.Float, Shape.Scalar);
        ctx.SetOutput(2, DataType.UInt8, Shape.Scalar);
    }

    public override void Emit(EmitContext ctx)
    {
        ctx.W.Open("");
        ctx.W.Line($"{Int8Operands.Runtime}Quantize.Dynamic({ctx.In(0)}, {ctx.Out(0)}, out float scale, out byte zero);");
        if (ctx.HasOutput(1)) ctx.W.Line($"{ctx.Out(1)}[0] = scale;");
        if (ctx.HasOutput(2)) ctx.W.Line($"{ctx.Out(2)}[0] = zero;");
        ctx.W.Close();
    }
}
