using System;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Pow: the output has the base's type; the exponent may have another numeric type (opset 12+).</summary>
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

    public override bool TryEvaluate(OpContext ctx)
    {
        if (ctx.Type(0) == ctx.Type(1)) return base.TryEvaluate(ctx);
        var a = ctx.Const(0)!;
        var b = ctx.Const(1)!;
        var outShape = ctx.Output(0).RequireShape;
        var result = Tensor.Create(ctx.Output(0).Type, outShape);
        bool single = result.Type == DataType.Float;
        Elementwise.ForEachIndex(outShape, Shape.BroadcastStrides(a.Shape, outShape), Shape.BroadcastStrides(b.Shape, outShape), (o, ia, ib) =>
            result.Set(o, single ? Apply(a.GetDouble(ia), b.GetDouble(ib)) : Math.Pow(a.GetDouble(ia), b.GetDouble(ib))));
        ctx.SetConst(0, result);
        return true;
    }

    public override int InPlaceInput(OpContext ctx) => ctx.Type(0) == ctx.Type(1) ? base.InPlaceInput(ctx) : -1;

    public override void Emit(EmitContext ctx)
    {
        if (ctx.Type(0) == ctx.Type(1))
        {
            base.Emit(ctx);
            return;
        }
        // Mixed types are rare (exports keep both float): a scalar loop in double, the broadcast index unravelled per element.
        var type = ctx.Output(0).Type;
        if (type == DataType.Bool || ctx.Type(1) == DataType.Bool)
            throw new Diagnostics.CompileError(Diagnostics.DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: Pow on bool is not supported");
        var outShape = ctx.Output(0).RequireShape;
        var shape = ctx.IntTable(outShape);
        var aStrides = ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(0), outShape));
        var bStrides = ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(1), outShape));
        ctx.W.Open("");
        ctx.W.Line($"var eai_a = {ctx.In(0)}; var eai_b = {ctx.In(1)}; var eai_y = {ctx.Out(0)};");
        ctx.W.Open("for (int eai_i = 0; eai_i < eai_y.Length; eai_i++)");
        ctx.W.Line("int eai_r = eai_i, eai_j = 0, eai_k = 0;");
        ctx.W.Open($"for (int eai_d = {outShape.Length - 1}; eai_d >= 0; eai_d--)");
        ctx.W.Line($"int eai_c = eai_r % {shape}[eai_d]; eai_r /= {shape}[eai_d];");
        ctx.W.Line($"eai_j += eai_c * {aStrides}[eai_d]; eai_k += eai_c * {bStrides}[eai_d];");
        ctx.W.Close();
        ctx.W.Line($"eai_y[eai_i] = unchecked(({DataTypes.CSharp(type)})global::System.Math.Pow(eai_a[eai_j], eai_b[eai_k]));");
        ctx.W.Close();
        ctx.W.Close();
    }
}
