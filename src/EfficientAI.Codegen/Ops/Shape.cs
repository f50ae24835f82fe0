using System;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Shape: always a compile-time constant, since every shape is static (start/end from opset 15).</summary>
internal sealed class ShapeOp : Operator
{
    public override string OpType => "Shape";

    private static long[] Dims(OpContext ctx)
    {
        var x = ctx.Shape(0);
        int rank = x.Length;
        long start = ctx.Int("start", 0), end = ctx.Int("end", rank);
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        start = Math.Max(0, Math.Min(rank, start));
        end = Math.Max(start, Math.Min(rank, end));
        var dims = new long[end - start];
        for (long i = start; i < end; i++) dims[i - start] = x[i];
        return dims;
    }

    public override void Infer(OpContext ctx)
    {
        var dims = Dims(ctx);
        ctx.SetConst(0, Tensor.FromLongs(new[] { dims.Length }, dims));
    }

    public override bool TryEvaluate(OpContext ctx) => true;

    public override void Emit(EmitContext ctx) => throw ctx.Fail("Shape is always folded");
}
