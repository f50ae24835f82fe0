using System.Collections.Generic;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>SequenceInsert: a new sequence with the tensor at a constant position (default: the end).</summary>
internal sealed class SequenceInsertOp : SequenceOperator
{
    public override string OpType => "SequenceInsert";

    public override IReadOnlyList<Node> Expand(OpContext ctx)
    {
        var elements = new List<string>(Sequence(ctx, 0));
        ctx.Input(1);
        int at = ctx.Has(2) ? Position(ctx, 2, elements.Count, 1) : elements.Count;
        elements.Insert(at, ctx.Node.Inputs[1]);
        SetSequence(ctx, 0, elements);
        return new List<Node>();
    }
}
