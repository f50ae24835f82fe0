using System;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Range: its length depends on start, limit and delta, so all three must be constant; the result is a constant.</summary>
internal sealed class RangeOp : Operator
{
    public override string OpType => "Range";

    public override void Infer(OpContext ctx)
    {
        var start = ctx.RequireConst(0, "start");
        var limit = ctx.RequireConst(1, "limit");
        var delta = ctx.RequireConst(2, "delta");
        if (start.Length != 1 || limit.Length != 1 || delta.Length != 1) throw ctx.Fail("start, limit and delta must be scalars");
        var type = start.Type;
        if (limit.Type != type || delta.Type != type) throw ctx.Fail("start, limit and delta must have one type");
        Tensor result;
        if (DataTypes.IsInteger(type))
        {
            long s = start.GetLong(0), l = limit.GetLong(0), d = delta.GetLong(0);
            if (d == 0) throw ctx.Fail("delta must not be 0");
            long n = Math.Max(0, (long)Math.Ceiling((double)(l - s) / d));
            result = Tensor.Create(type, new[] { Count(ctx, n) });
            for (int i = 0; i < result.Length; i++) result.SetLong(i, s + i * d);
        }
        else
        {
            double s = start.GetDouble(0), l = limit.GetDouble(0), d = delta.GetDouble(0);
            if (d == 0) throw ctx.Fail("delta must not be 0");
            long n = (long)Math.Max(0, Math.Ceiling((l - s) / d));
            result = Tensor.Create(type, new[] { Count(ctx, n) });
            // Accumulated in the element type, as ONNX's function body (prev + delta) and ONNX Runtime do.
            float vf = (float)s;
            double vd = s;
            for (int i = 0; i < result.Length; i++)
            {
                result.Set(i, type == DataType.Float ? vf : vd);
                vf += (float)d;
                vd += d;
            }
        }
        ctx.SetConst(0, result);
    }

    private static int Count(OpContext ctx, long n) =>
        n <= ShapeLimit ? (int)n : throw ctx.Fail($"the range has {n} elements; more than {ShapeLimit} is not supported");

    private const int ShapeLimit = 1 << 26;

    public override bool TryEvaluate(OpContext ctx) => true;

    public override void Emit(EmitContext ctx) => throw ctx.Fail("Range is always folded");
}
