using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>ReverseSequence (opset 10): batch_axis and time_axis 0/1, sequence_lens int64 at run time; any element type.</summary>
internal sealed class ReverseSequenceOp : Operator
{
    public override string OpType => "ReverseSequence";

    private static (int Batch, int Time, int Inner, bool BatchMajor) Geometry(OpContext ctx)
    {
        var x = ctx.Shape(0);
        if (x.Length < 2) throw ctx.Fail($"input {Shape.Format(x)} needs rank 2 or more");
        int batchAxis = (int)ctx.Int("batch_axis", 1), timeAxis = (int)ctx.Int("time_axis", 0);
        if (!((batchAxis == 0 && timeAxis == 1) || (batchAxis == 1 && timeAxis == 0)))
            throw ctx.Fail($"batch_axis {batchAxis} and time_axis {timeAxis} must be 0 and 1");
        if (ctx.Type(1) != DataType.Int64) throw ctx.Fail("sequence_lens must be int64");
        if (!ctx.Shape(1).SequenceEqual(new[] { x[batchAxis] })) throw ctx.Fail($"sequence_lens {Shape.Format(ctx.Shape(1))} must be [{x[batchAxis]}]");
        return (x[batchAxis], x[timeAxis], Shape.ElementsInt(x.Skip(2).ToArray()), batchAxis == 0);
    }

    public override void Infer(OpContext ctx)
    {
        Geometry(ctx);
        ctx.SetOutput(0, ctx.Type(0), ctx.Shape(0));
    }

    public override void Emit(EmitContext ctx)
    {
        var (batch, time, inner, batchMajor) = Geometry(ctx);
        ctx.W.Line($"global::EfficientAI.Runtime.ReverseSequence.Compute({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {batch}, {time}, {inner}, {EmitContext.B(batchMajor)});");
    }
}
