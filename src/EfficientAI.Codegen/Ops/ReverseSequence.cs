using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>ReverseSequence: per batch entry, the first sequence_lens[b] steps along time_axis reversed (axes 0 and 1, either way round).</summary>
internal sealed class ReverseSequenceOp : Operator
{
    public override string OpType => "ReverseSequence";

    private static bool BatchFirst(OpContext ctx)
    {
        long time = ctx.Int("time_axis", 0), batch = ctx.Int("batch_axis", 1);
        if (!((time == 0 && batch == 1) || (time == 1 && batch == 0))) throw ctx.Fail("time_axis and batch_axis must be 0 and 1");
        return batch == 0;
    }

    public override void Infer(OpContext ctx)
    {
        var x = ctx.Shape(0);
        if (x.Length < 2) throw ctx.Fail("input must have rank 2 or more");
        if (!DataTypes.IsRuntimeType(ctx.Type(0)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: ReverseSequence on {DataTypes.Name(ctx.Type(0))} is not supported");
        bool batchFirst = BatchFirst(ctx);
        if (!DataTypes.IsInteger(ctx.Type(1)) || !Shape.Equal(ctx.Shape(1), new[] { x[batchFirst ? 0 : 1] }))
            throw ctx.Fail($"sequence_lens must be integers of shape [{x[batchFirst ? 0 : 1]}]");
        ctx.SetOutput(0, ctx.Type(0), x);
    }

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        bool batchFirst = BatchFirst(ctx);
        int inner = 1;
        for (int d = 2; d < x.Length; d++) inner = checked(inner * x[d]);
        int time = x[batchFirst ? 1 : 0], batch = x[batchFirst ? 0 : 1];
        ctx.W.Line($"global::EfficientAI.Runtime.Layout.ReverseSequence<{DataTypes.CSharp(ctx.Type(0))}, {DataTypes.CSharp(ctx.Type(1))}>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {time}, {batch}, {inner}, {EmitContext.B(batchFirst)});");
    }
}
