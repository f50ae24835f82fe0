using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Internal op (inserted by Onnx.HalfPrecisionBoundary, never in a model): a float16/bfloat16 graph input converted
/// to the float tensor the model computes with, whose precision it records.
/// </summary>
internal sealed class WidenHalfOp : Operator
{
    public const string InternalDomain = "ai.efficientai.internal";
    public const string Type = "WidenHalf";

    public override string OpType => Type;
    public override string Domain => InternalDomain;

    public override void Infer(OpContext ctx)
    {
        ctx.SetOutput(0, DataType.Float, ctx.Shape(0));
        ctx.Output(0).Precision = ctx.Type(0);
    }

    public override void Emit(EmitContext ctx)
    {
        string kernel = ctx.Type(0) == DataType.BFloat16 ? "WidenBFloat16" : "Widen";
        ctx.W.Line($"global::EfficientAI.Runtime.HalfPrecision.{kernel}({ctx.In(0)}, {ctx.Out(0)});");
    }
}
