using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Shared inference, folding and emission of float element-wise ops mapped to EfficientAI.Runtime.UnaryOp.</summary>
internal abstract class UnaryOperator : Operator
{
    /// <summary>The EfficientAI.Runtime.UnaryOp member.</summary>
    protected virtual string Kernel => OpType;

    protected virtual float Alpha(OpContext ctx) => 0f;
    protected virtual float Beta(OpContext ctx) => 0f;

    protected abstract float Apply(float x, float alpha, float beta);

    /// <summary>The kernel, alpha and beta this node runs: what ActivationFusion records when it folds the node into its producer.</summary>
    public virtual (string Kernel, float Alpha, float Beta) Activation(OpContext ctx) => (Kernel, Alpha(ctx), Beta(ctx));

    /// <summary>
    /// y with a fused activation applied as its unfused op folds (compile-time evaluation of a Conv/Gemm/MatMul that
    /// ActivationFusion gave an epilogue). FusedActivation.Kind names the activation op; GeluTanh is Gelu's tanh form.
    /// </summary>
    public static float[] ApplyFused(FusedActivation activation, float[] y)
    {
        bool geluTanh = activation.Kind == "GeluTanh";
        var op = OperatorRegistry.Find("", geluTanh ? "Gelu" : activation.Kind) as UnaryOperator
            ?? throw new System.InvalidOperationException($"no element-wise op for fused activation {activation.Kind}");
        float alpha = geluTanh ? 1f : activation.Alpha;
        var result = new float[y.Length];
        for (int i = 0; i < y.Length; i++) result[i] = op.Apply(y[i], alpha, activation.Beta);
        return result;
    }

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        ctx.SetOutput(0, ctx.Type(0), ctx.Shape(0));
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var x = ctx.Const(0)!.ToFloats();
        float alpha = Alpha(ctx), beta = Beta(ctx);
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = Apply(x[i], alpha, beta);
        ctx.SetConst(0, Tensor.FromFloats(ctx.Shape(0), y));
        return true;
    }

    public override int InPlaceInput(OpContext ctx) => ctx.Output(0).Type == ctx.Type(0) ? 0 : -1;

    public override void Emit(EmitContext ctx) =>
        ctx.W.Line($"global::EfficientAI.Runtime.Elementwise.Unary(global::EfficientAI.Runtime.UnaryOp.{Kernel}, {ctx.In(0)}, {ctx.Out(0)}, {EmitContext.F(Alpha(ctx))}, {EmitContext.F(Beta(ctx))});");
}
