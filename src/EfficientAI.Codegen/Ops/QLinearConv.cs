using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// QLinearConv: int8/uint8 convolution with int32 accumulation and an int32 bias, requantized to y's scale and
/// zero point; w's scale and zero point per tensor or per output channel.
/// </summary>
internal sealed class QLinearConvOp : Operator
{
    public override string OpType => "QLinearConv";

    private static ConvIntegerOp.Geometry Check(OpContext ctx)
    {
        var g = ConvIntegerOp.Resolve(ctx, 0, 3);
        Int8Operands.CheckScale(ctx, 1, 1);
        Int8Operands.CheckZero(ctx, 2, 0, 1);
        Int8Operands.CheckScale(ctx, 4, g.M);
        Int8Operands.CheckZero(ctx, 5, 3, g.M);
        Int8Operands.CheckScale(ctx, 6, 1);
        Int8Operands.RequireByte(ctx, 7);
        Int8Operands.CheckZero(ctx, 7, 7, 1);
        if (ctx.Has(8) && (ctx.Type(8) != DataType.Int32 || Shape.Elements(ctx.Shape(8)) != g.M))
            throw ctx.Fail($"bias must be int32 with {g.M} values");
        return g;
    }

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, ctx.Type(7), Check(ctx).OutShape);

    public override long Macs(OpContext ctx) => Check(ctx).Macs;

    public override long ScratchFloats(OpContext ctx) => Check(ctx).ScratchFloats;

    public override void Emit(EmitContext ctx)
    {
        var g = Check(ctx);
        string S(int i) => EmitContext.B(ctx.Type(i) == DataType.Int8);
        string bias = ctx.Has(8) ? ctx.In(8) : "default";
        ctx.W.Line($"{Int8Operands.Runtime}Int8Ops.QLinearConv({Int8Operands.Bytes(ctx, 0)}, {S(0)}, {ctx.In(1)}, {Int8Operands.Bytes(ctx, 2)}, " +
            $"{Int8Operands.Bytes(ctx, 3)}, {S(3)}, {ctx.In(4)}, {Int8Operands.Bytes(ctx, 5)}, {ctx.In(6)}, {Int8Operands.Bytes(ctx, 7)}, {S(7)}, {bias}, " +
            $"{Int8Operands.OutBytes(ctx, 0)}, {Int8Operands.ScratchBytes(ctx)}, {g.Arguments});");
    }
}
