using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// SoftmaxCrossEntropyLoss: LogSoftmax of scores [N, C, d...] over the class axis, then NegativeLogLikelihoodLoss with
/// labels, optional weights, ignore_index and reduction; output 1 (optional) is the log-probabilities. Without that
/// output the log-probabilities live in the node's scratch.
/// </summary>
internal sealed class SoftmaxCrossEntropyLossOp : Operator
{
    public override string OpType => "SoftmaxCrossEntropyLoss";

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        var g = LossGeometry.Resolve(ctx, 0, 1, ctx.Has(2) ? 2 : -1);
        ctx.SetOutput(0, DataType.Float, g.OutputShape(ctx));
        ctx.SetOutput(1, DataType.Float, ctx.Shape(0));
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var g = LossGeometry.Resolve(ctx, 0, 1, ctx.Has(2) ? 2 : -1);
        var logProb = LogSoftmax(ctx.Const(0)!.ToFloats(), g);
        ctx.SetConst(0, Tensor.FromFloats(g.OutputShape(ctx), g.Evaluate(ctx, logProb, ctx.Const(1)!, ctx.Const(2)?.ToFloats())));
        ctx.SetConst(1, Tensor.FromFloats(ctx.Shape(0), logProb));
        return true;
    }

    public override long ScratchFloats(OpContext ctx) => ctx.HasOutput(1) ? 0 : Shape.Elements(ctx.Shape(0));

    public override void Emit(EmitContext ctx)
    {
        var g = LossGeometry.Resolve(ctx, 0, 1, ctx.Has(2) ? 2 : -1);
        string logProb = ctx.HasOutput(1) ? ctx.Out(1) : ctx.Scratch;
        ctx.W.Line($"global::EfficientAI.Runtime.Normalization.Softmax({ctx.In(0)}, {logProb}, {g.Batch}, {g.Classes}, {g.Inner}, true);");
        g.Emit(ctx, logProb, 1, ctx.Has(2) ? 2 : -1);
    }

    /// <summary>Log-softmax over the class axis in double, for folding.</summary>
    private static float[] LogSoftmax(float[] x, LossGeometry g)
    {
        var y = new float[x.Length];
        for (int n = 0; n < g.Batch; n++)
        {
            for (int i = 0; i < g.Inner; i++)
            {
                int Index(int c) => (n * g.Classes + c) * g.Inner + i;
                double max = double.NegativeInfinity, sum = 0;
                for (int c = 0; c < g.Classes; c++) max = System.Math.Max(max, x[Index(c)]);
                for (int c = 0; c < g.Classes; c++) sum += System.Math.Exp(x[Index(c)] - max);
                double log = max + System.Math.Log(sum);
                for (int c = 0; c < g.Classes; c++) y[Index(c)] = (float)(x[Index(c)] - log);
            }
        }
        return y;
    }
}
