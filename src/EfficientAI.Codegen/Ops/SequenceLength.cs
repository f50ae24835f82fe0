using System.Collections.Generic;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>SequenceLength: a compile-time int64 scalar.</summary>
internal sealed class SequenceLengthOp : SequenceOperator
{
    public override string OpType => "SequenceLength";

    public override IReadOnlyList<Node> Expand(OpContext ctx)
    {
        ctx.SetConst(0, Tensor.FromLongs(Shape.Scalar, new long[] { Sequence(ctx, 0).Count }));
        return new List<Node>();
    }
}
