using EfficientAI.Codegen.Emit;

namespace EfficientAI.Codegen.Ops;

/// <summary>Upsample (opset 7-9, deprecated in 10): Resize-10 semantics, scales as an attribute (7) or a constant input (9).</summary>
internal sealed class UpsampleOp : Operator
{
    private static readonly ResizeOp s_resize = new();

    public override string OpType => "Upsample";

    public override void Infer(OpContext ctx) => s_resize.Infer(ctx);

    public override void Emit(EmitContext ctx) => s_resize.Emit(ctx);
}
