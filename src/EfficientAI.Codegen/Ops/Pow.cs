using System;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

internal sealed class PowOp : BinaryOperator
{
    public override string OpType => "Pow";
    protected override double Apply(double a, double b) => (float)Math.Pow((float)a, (float)b);
    protected override long ApplyInteger(long a, long b) => (long)Math.Pow(a, b);

    public override void Infer(OpContext ctx)
    {
        var shape = Shape.Broadcast(ctx.Shape(0), ctx.Shape(1))
            ?? throw ctx.Fail($"input shapes {Shape.Format(ctx.Shape(0))} and {Shape.Format(ctx.Shape(1))} do not broadcast");
        ctx.SetOutput(0, ctx.Type(0), shape);
    }
}
