using System;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>BatchNormalization (inference): folded at compile time to a per-channel scale and bias.</summary>
internal sealed class BatchNormalizationOp : Operator
{
    public override string OpType => "BatchNormalization";

    public override void Infer(OpContext ctx)
    {
        if (ctx.Int("training_mode", 0) != 0 || ctx.HasOutput(1) || ctx.HasOutput(2))
            throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "BatchNormalization",
                $"{ctx.Node.Display} is in training mode (batch statistics, running mean and variance outputs); only inference is supported" });
        ctx.RequireFloat(0);
        var x = ctx.Shape(0);
        if (x.Length < 2) throw ctx.Fail("input must have a channel axis");
        for (int i = 1; i <= 4; i++)
            if (Shape.Elements(ctx.Shape(i)) != x[1]) throw ctx.Fail($"input {i} must have {x[1]} values (one per channel)");
        ctx.SetOutput(0, DataType.Float, x);
    }

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
        var (scale, bias) = Fold(ctx);
        int spatial = 1;
        for (int i = 2; i < x.Length; i++) spatial = checked(spatial * x[i]);
        ctx.W.Line($"global::EfficientAI.Runtime.Elementwise.ChannelAffine({ctx.In(0)}, {ctx.ConstantTable(Tensor.FromFloats(new[] { scale.Length }, scale), "scale")}, " +
            $"{ctx.ConstantTable(Tensor.FromFloats(new[] { bias.Length }, bias), "bias")}, {ctx.Out(0)}, {x[0]}, {x[1]}, {spatial});");
    }
}
