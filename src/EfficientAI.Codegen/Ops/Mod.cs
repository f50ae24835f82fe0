using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Mod: fmod=0 (integers only) takes the sign of the divisor, fmod=1 the sign of the dividend (C fmod).</summary>
internal sealed class ModOp : BinaryOperator
{
    public override string OpType => "Mod";

    private static bool Fmod(OpContext ctx) => ctx.Int("fmod", 0) != 0;

    protected override double Apply(double a, double b) => (float)a % (float)b;
    protected override double ApplyDouble(double a, double b) => a % b;

    protected override long ApplyInteger(long a, long b) => FloorMod(a, b);

    private static long FloorMod(long a, long b)
    {
        if (b == 0) return 0;
        long r = a % b;
        return r != 0 && (r < 0) != (b < 0) ? r + b : r;
    }

    public override void Infer(OpContext ctx)
    {
        base.Infer(ctx);
        if (DataTypes.IsFloat(ctx.Type(0)) && !Fmod(ctx)) throw ctx.Fail("fmod must be 1 for floating-point inputs");
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var a = ctx.Const(0)!;
        var b = ctx.Const(1)!;
        var outShape = ctx.Output(0).RequireShape;
        var result = Tensor.Create(ctx.Output(0).Type, outShape);
        bool integer = DataTypes.IsInteger(result.Type), fmod = Fmod(ctx);
        Elementwise.ForEachIndex(outShape, Shape.BroadcastStrides(a.Shape, outShape), Shape.BroadcastStrides(b.Shape, outShape), (o, ia, ib) =>
        {
            if (!integer) result.Set(o, result.Type == DataType.Double ? ApplyDouble(a.GetDouble(ia), b.GetDouble(ib)) : Apply(a.GetDouble(ia), b.GetDouble(ib)));
            else
            {
                long x = a.GetLong(ia), y = b.GetLong(ib);
                result.SetLong(o, y == 0 ? 0 : fmod ? x % y : FloorMod(x, y));
            }
        });
        ctx.SetConst(0, result);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var type = ctx.Output(0).Type;
        if (!(DataTypes.IsInteger(type) && Fmod(ctx)))
        {
            base.Emit(ctx);
            return;
        }
        var outShape = ctx.Output(0).RequireShape;
        ctx.W.Line($"global::EfficientAI.Runtime.Arithmetic.Remainder<{DataTypes.CSharp(type)}>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, " +
            $"{ctx.IntTable(outShape)}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(0), outShape))}, {ctx.IntTable(Shape.BroadcastStrides(ctx.Shape(1), outShape))});");
    }
}
