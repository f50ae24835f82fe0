using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Internal op (inserted by Onnx.HalfPrecisionBoundary): the float tensor the model computed, written to a float16
/// (System.Half) or bfloat16 (ushort bits) graph output, rounded to nearest even. Attribute "to" is the output type.
/// </summary>
internal sealed class NarrowHalfOp : Operator
{
    public const string Type = "NarrowHalf";

    public override string OpType => Type;
    public override string Domain => WidenHalfOp.InternalDomain;

    public override void Infer(OpContext ctx)
    {
        if (ctx.Type(0) != DataType.Float)
            throw ctx.Fail($"the graph declares output '{ctx.Node.Outputs[0]}' as {DataTypes.Name((DataType)ctx.Int("to", 0))}, but the model computes {DataTypes.Name(ctx.Type(0))}");
        ctx.SetOutput(0, (DataType)ctx.Int("to", 0), ctx.Shape(0));
    }

    public override void Emit(EmitContext ctx)
    {
        string kernel = (DataType)ctx.Int("to", 0) == DataType.BFloat16 ? "NarrowBFloat16" : "Narrow";
        ctx.W.Line($"global::EfficientAI.Runtime.HalfPrecision.{kernel}({ctx.In(0)}, {ctx.Out(0)});");
    }
}
