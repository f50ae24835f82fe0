using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// QLinearMatMul: int8/uint8 matrix product with int32 accumulation, requantized to y's scale and zero point;
/// b's scale and zero point per tensor or per column.
/// </summary>
internal sealed class QLinearMatMulOp : Operator
{
    public override string OpType => "QLinearMatMul";

    private static MatMulOp.Plan Resolve(OpContext ctx)
    {
        var plan = MatMulIntegerOp.Resolve(ctx, 0, 2, 3, 5);
        Int8Operands.CheckScale(ctx, 1, 1);
        Int8Operands.CheckScale(ctx, 4, plan.N);
        Int8Operands.CheckScale(ctx, 6, 1);
        if (!ctx.Has(7)) throw ctx.Fail("y_zero_point is required");
        Int8Operands.RequireByte(ctx, 7);
        Int8Operands.CheckZero(ctx, 7, 7, 1);
        return plan;
    }

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, ctx.Type(7), Resolve(ctx).OutShape);

    public override long Macs(OpContext ctx)
    {
        var p = Resolve(ctx);
        return Shape.Elements(p.BatchShape) * p.M * p.N * p.K;
    }

    public override long ScratchFloats(OpContext ctx)
    {
        var p = Resolve(ctx);
        return Int8Operands.Floats(Int8Operands.MatMulScratchBytes(p.M, p.N, p.K));
    }

    public override void Emit(EmitContext ctx)
    {
        var p = Resolve(ctx);
        var (aOff, bOff) = MatMulOp.BatchOffsets(p);
        string S(int i) => EmitContext.B(ctx.Type(i) == DataType.Int8);
        ctx.W.Line($"{Int8Operands.Runtime}Int8Ops.QLinearMatMul({Int8Operands.Bytes(ctx, 0)}, {S(0)}, {ctx.In(1)}, {Int8Operands.Bytes(ctx, 2)}, " +
            $"{Int8Operands.Bytes(ctx, 3)}, {S(3)}, {ctx.In(4)}, {Int8Operands.Bytes(ctx, 5)}, {ctx.In(6)}, {Int8Operands.Bytes(ctx, 7)}, {S(7)}, " +
            $"{Int8Operands.OutBytes(ctx, 0)}, {Int8Operands.ScratchBytes(ctx)}, {p.M}, {p.N}, {p.K}, {ctx.IntTable(aOff)}, {ctx.IntTable(bOff)});");
    }
}
