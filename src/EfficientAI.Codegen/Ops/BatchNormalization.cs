using System;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// BatchNormalization. Inference: folded at compile time to a per-channel scale and bias. Training mode (opset 14+,
/// training_mode=1): the batch's statistics at run time, with the running mean and variance outputs.
/// </summary>
internal sealed class BatchNormalizationOp : Operator
{
    public override string OpType => "BatchNormalization";

    public override void Infer(OpContext ctx)
    {
        if (!Training(ctx) && (ctx.HasOutput(1) || ctx.HasOutput(2)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "BatchNormalization",
                $"{ctx.Node.Display} asks for the statistics outputs of opset {ctx.Opset}'s training mode; only opset 14's training_mode is supported" });
        ctx.RequireFloat(0);
        var x = ctx.Shape(0);
        if (x.Length < 2) throw ctx.Fail("input must have a channel axis");
        for (int i = 1; i <= 4; i++)
            if (Shape.Elements(ctx.Shape(i)) != x[1]) throw ctx.Fail($"input {i} must have {x[1]} values (one per channel)");
        ctx.SetOutput(0, DataType.Float, x);
        ctx.SetOutput(1, DataType.Float, new[] { x[1] });
        ctx.SetOutput(2, DataType.Float, new[] { x[1] });
    }

    public static bool Training(OpContext ctx) => ctx.Opset >= 14 && ctx.Int("training_mode", 0) != 0;

    /// <summary>scale = gamma / sqrt(var + eps), bias = beta - mean * scale.</summary>
    public static (float[] Scale, float[] Bias) Fold(OpContext ctx)
    {
        var gamma = ctx.RequireConst(1, "scale").ToFloats();
        var beta = ctx.RequireConst(2, "bias").ToFloats();
        var mean = ctx.RequireConst(3, "mean").ToFloats();
        var variance = ctx.RequireConst(4, "variance").ToFloats();
        float eps = ctx.Float("epsilon", 1e-5f);
        var scale = new float[gamma.Length];
        var bias = new float[gamma.Length];
        for (int c = 0; c < gamma.Length; c++)
        {
            scale[c] = gamma[c] / MathF.Sqrt(variance[c] + eps);
            bias[c] = beta[c] - mean[c] * scale[c];
        }
        return (scale, bias);
    }

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        int spatial = 1;
        for (int i = 2; i < x.Length; i++) spatial = checked(spatial * x[i]);
        if (Training(ctx))
        {
            string Optional(int i) => ctx.HasOutput(i) ? ctx.Out(i) : "global::System.Span<float>.Empty";
            ctx.W.Line($"global::EfficientAI.Runtime.Normalization.BatchNormTraining({ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {ctx.In(3)}, {ctx.In(4)}, {ctx.Out(0)}, " +
                $"{Optional(1)}, {Optional(2)}, {x[0]}, {x[1]}, {spatial}, {EmitContext.F(ctx.Float("epsilon", 1e-5f))}, {EmitContext.F(ctx.Float("momentum", 0.9f))});");
            return;
        }
        var (scale, bias) = Fold(ctx);
        ctx.W.Line($"global::EfficientAI.Runtime.Elementwise.ChannelAffine({ctx.In(0)}, {ctx.ConstantTable(Tensor.FromFloats(new[] { scale.Length }, scale), "scale")}, " +
            $"{ctx.ConstantTable(Tensor.FromFloats(new[] { bias.Length }, bias), "bias")}, {ctx.Out(0)}, {x[0]}, {x[1]}, {spatial});");
    }
}
