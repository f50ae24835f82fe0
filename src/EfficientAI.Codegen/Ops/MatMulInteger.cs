using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>MatMulInteger: int32 (a - a_zero_point) x (b - b_zero_point), uint8/int8 operands, b's zero point per column.</summary>
internal sealed class MatMulIntegerOp : Operator
{
    public override string OpType => "MatMulInteger";

    internal static MatMulOp.Plan Resolve(OpContext ctx, int a, int aZero, int b, int bZero)
    {
        Int8Operands.RequireByte(ctx, a);
        Int8Operands.RequireByte(ctx, b);
        var plan = MatMulOp.Resolve(ctx, a, b);
        if (ctx.Has(aZero)) Int8Operands.CheckZero(ctx, aZero, a, 1);
        if (ctx.Has(bZero)) Int8Operands.CheckZero(ctx, bZero, b, plan.N);
        return plan;
    }

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, DataType.Int32, Resolve(ctx, 0, 2, 1, 3).OutShape);

    public override long Macs(OpContext ctx)
    {
        var p = Resolve(ctx, 0, 2, 1, 3);
        return Shape.Elements(p.BatchShape) * p.M * p.N * p.K;
    }

    public override long ScratchFloats(OpContext ctx)
    {
        var p = Resolve(ctx, 0, 2, 1, 3);
        return Int8Operands.Floats(Int8Operands.MatMulScratchBytes(p.M, p.N, p.K));
    }

    public override void Emit(EmitContext ctx)
    {
        var p = Resolve(ctx, 0, 2, 1, 3);
        var (aOff, bOff) = MatMulOp.BatchOffsets(p);
        ctx.W.Line($"{Int8Operands.Runtime}Int8Ops.MatMulInteger({Int8Operands.Bytes(ctx, 0)}, {EmitContext.B(ctx.Type(0) == DataType.Int8)}, {Int8Operands.Bytes(ctx, 2)}, " +
            $"{Int8Operands.Bytes(ctx, 1)}, {EmitContext.B(ctx.Type(1) == DataType.Int8)}, {Int8Operands.Bytes(ctx, 3)}, {ctx.Out(0)}, {Int8Operands.ScratchBytes(ctx)}, " +
            $"{p.M}, {p.N}, {p.K}, {ctx.IntTable(aOff)}, {ctx.IntTable(bOff)});");
    }
}
