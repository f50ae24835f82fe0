using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Size: a compile-time constant.</summary>
internal sealed class SizeOp : Operator
{
    public override string OpType => "Size";

    public override void Infer(OpContext ctx) => ctx.SetConst(0, Tensor.FromLongs(Shape.Scalar, new[] { Shape.Elements(ctx.Shape(0)) }));

    public override bool TryEvaluate(OpContext ctx) => true;

    public override void Emit(EmitContext ctx) => throw ctx.Fail("Size is always folded");
}
