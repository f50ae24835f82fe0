using System.Collections.Generic;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>SequenceErase: a new sequence without the element at a constant position (default: the last).</summary>
internal sealed class SequenceEraseOp : SequenceOperator
{
    public override string OpType => "SequenceErase";

    public override IReadOnlyList<Node> Expand(OpContext ctx)
    {
        var elements = new List<string>(Sequence(ctx, 0));
        if (elements.Count == 0) throw ctx.Fail("the sequence is empty");
        int at = ctx.Has(1) ? Position(ctx, 1, elements.Count, 0) : elements.Count - 1;
        elements.RemoveAt(at);
        SetSequence(ctx, 0, elements);
        return new List<Node>();
    }
}
