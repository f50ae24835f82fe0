using System;
using EfficientAI.Codegen.Emit;

namespace EfficientAI.Codegen.Ops;

/// <summary>Gelu (opset 20): approximate = "none" (exact, erf form) or "tanh".</summary>
internal sealed class GeluOp : UnaryOperator
{
    public override string OpType => "Gelu";

    private static bool Tanh(OpContext ctx) => ctx.Str("approximate", "none") switch
    {
        "none" => false,
        "tanh" => true,
        var other => throw ctx.Fail($"approximate '{other}' is not 'none' or 'tanh'"),
    };

    // alpha carries the form to Apply (folding); the kernels ignore it.
    protected override float Alpha(OpContext ctx) => Tanh(ctx) ? 1f : 0f;

    public override (string Kernel, float Alpha, float Beta) Activation(OpContext ctx) => (Tanh(ctx) ? "GeluTanh" : "Gelu", 0f, 0f);

    public override void Emit(EmitContext ctx) =>
        ctx.W.Line($"global::EfficientAI.Runtime.Elementwise.Unary(global::EfficientAI.Runtime.UnaryOp.{(Tanh(ctx) ? "GeluTanh" : "Gelu")}, {ctx.In(0)}, {ctx.Out(0)}, 0f, 0f);");

    protected override float Apply(float x, float alpha, float beta) => alpha != 0f
        ? (float)(0.5 * x * (1 + Math.Tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))))
        : (float)(0.5 * x * ErfOp.Erfc(-x * 0.7071067811865476));
}
