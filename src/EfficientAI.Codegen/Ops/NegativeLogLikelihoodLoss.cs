using System;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// NegativeLogLikelihoodLoss: input [N, C, d...] (log-probabilities), target [N, d...] (int32/int64 class indices),
/// optional weight [C]; ignore_index; reduction none (output [N, d...]), sum or mean (default; a scalar, the sum
/// divided by the summed weights of the targets not ignored).
/// </summary>
internal sealed class NegativeLogLikelihoodLossOp : Operator
{
    public override string OpType => "NegativeLogLikelihoodLoss";

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        var geometry = LossGeometry.Resolve(ctx, 0, 1, ctx.Has(2) ? 2 : -1);
        ctx.SetOutput(0, DataType.Float, geometry.OutputShape(ctx));
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var g = LossGeometry.Resolve(ctx, 0, 1, ctx.Has(2) ? 2 : -1);
        ctx.SetConst(0, Tensor.FromFloats(g.OutputShape(ctx), g.Evaluate(ctx, ctx.Const(0)!.ToFloats(), ctx.Const(1)!, ctx.Const(2)?.ToFloats())));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var g = LossGeometry.Resolve(ctx, 0, 1, ctx.Has(2) ? 2 : -1);
        g.Emit(ctx, ctx.In(0), 1, ctx.Has(2) ? 2 : -1);
    }
}

/// <summary>What NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss share: shapes, reduction, ignore_index, the kernel call.</summary>
internal sealed class LossGeometry
{
    public int Batch, Classes, Inner;
    public string Reduction = "mean";
    public long? IgnoreIndex;

    public static LossGeometry Resolve(OpContext ctx, int input, int target, int weight)
    {
        var x = ctx.Shape(input);
        var t = ctx.Shape(target);
        if (x.Length < 2) throw ctx.Fail($"input must be [N, C, d...], not rank {x.Length}");
        if (ctx.Type(target) is not (DataType.Int64 or DataType.Int32))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: target '{ctx.Node.Inputs[target]}' must be int32 or int64, not {DataTypes.Name(ctx.Type(target))}");
        bool targetMatches = t.Length == x.Length - 1 && t[0] == x[0];
        for (int d = 1; targetMatches && d < t.Length; d++) targetMatches = t[d] == x[d + 1];
        if (!targetMatches) throw ctx.Fail($"target shape {Shape.Format(t)} does not match input shape {Shape.Format(x)} without its class axis");
        if (weight >= 0)
        {
            ctx.RequireFloat(weight);
            if (!Shape.Equal(ctx.Shape(weight), new[] { x[1] })) throw ctx.Fail($"weight must be [{x[1]}], not {Shape.Format(ctx.Shape(weight))}");
        }
        var g = new LossGeometry { Batch = x[0], Classes = x[1], Inner = 1, Reduction = ctx.Str("reduction", "mean") };
        for (int d = 2; d < x.Length; d++) g.Inner = checked(g.Inner * x[d]);
        if (g.Reduction is not ("none" or "sum" or "mean")) throw ctx.Fail($"reduction must be none, sum or mean, not '{g.Reduction}'");
        if (ctx.HasAttr("ignore_index")) g.IgnoreIndex = ctx.Int("ignore_index", 0);
        return g;
    }

    public int[] OutputShape(OpContext ctx) => Reduction == "none" ? ctx.Shape(1) : Array.Empty<int>();

    /// <summary>The loss at compile time, with the same arithmetic as EfficientAI.Runtime.Loss.NegativeLogLikelihood.</summary>
    public float[] Evaluate(OpContext ctx, float[] logProb, Tensor target, float[]? weight)
    {
        var loss = new float[Reduction == "none" ? Batch * Inner : 1];
        double sum = 0, weightSum = 0;
        for (int t = 0; t < Batch * Inner; t++)
        {
            long c = target.GetLong(t);
            float value = 0f;
            if (c != IgnoreIndex)
            {
                if (c < 0 || c >= Classes) throw ctx.Fail($"target {t} is class {c}, outside [0, {Classes})");
                float w = weight?[c] ?? 1f;
                value = -logProb[((t / Inner) * Classes + (int)c) * Inner + t % Inner] * w;
                weightSum += w;
            }
            if (Reduction == "none") loss[t] = value;
            else sum += value;
        }
        if (Reduction == "sum") loss[0] = (float)sum;
        else if (Reduction == "mean") loss[0] = (float)(sum / weightSum);
        return loss;
    }

    /// <summary>Emits the kernel call on log-probabilities <paramref name="logProb"/> (a span expression); weight -1 when absent.</summary>
    public void Emit(EmitContext ctx, string logProb, int target, int weight)
    {
        string reduction = Reduction switch { "none" => "None", "sum" => "Sum", _ => "Mean" };
        // Without ignore_index no target is ignored: long.MinValue is never a class index.
        string ignore = IgnoreIndex is { } ii ? EmitContext.I(ii) : "long.MinValue";
        string weights = weight >= 0 ? ctx.In(weight) : "global::System.ReadOnlySpan<float>.Empty";
        ctx.W.Line($"global::EfficientAI.Runtime.Loss.NegativeLogLikelihood<{DataTypes.CSharp(ctx.Type(target))}>({logProb}, {ctx.In(target)}, {weights}, {ctx.Out(0)}, " +
            $"{Batch}, {Classes}, {Inner}, {ignore}, global::EfficientAI.Runtime.LossReduction.{reduction});");
    }
}
