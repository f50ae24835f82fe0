using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Global pooling: one value per (batch, channel) over all spatial positions.</summary>
internal abstract class GlobalPoolOperator : Operator
{
    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        var x = ctx.Shape(0);
        if (x.Length < 3) throw ctx.Fail("input must be [N, C, spatial...]");
        var y = new int[x.Length];
        y[0] = x[0];
        y[1] = x[1];
        for (int i = 2; i < y.Length; i++) y[i] = 1;
        ctx.SetOutput(0, DataType.Float, y);
    }

    /// <summary>Mean or max per (batch, channel) plane (constant folding, calibration's compile-time run).</summary>
    public override bool TryEvaluate(OpContext ctx)
    {
        var xs = ctx.Shape(0);
        var x = ctx.Const(0)!.ToFloats();
        int planes = xs[0] * xs[1], spatial = planes == 0 ? 0 : x.Length / planes;
        bool max = OpType == "GlobalMaxPool";
        var y = new float[planes];
        for (int p = 0; p < planes; p++)
        {
            double sum = 0;
            float best = float.NegativeInfinity;
            for (int i = 0; i < spatial; i++)
            {
                float v = x[p * spatial + i];
                sum += v;
                if (v > best) best = v;
            }
            y[p] = max ? best : (float)(sum / spatial);
        }
        ctx.SetConst(0, Tensor.FromFloats(ctx.Output(0).RequireShape, y));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        long channels = (long)x[0] * x[1];
        long spatial = channels == 0 ? 0 : Shape.Elements(x) / channels;
        ctx.W.Line($"global::EfficientAI.Runtime.Pool.{OpType}({ctx.In(0)}, {ctx.Out(0)}, {channels}, {spatial});");
    }
}
