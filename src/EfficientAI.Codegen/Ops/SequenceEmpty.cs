using System.Collections.Generic;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>SequenceEmpty: an empty compile-time sequence.</summary>
internal sealed class SequenceEmptyOp : SequenceOperator
{
    public override string OpType => "SequenceEmpty";

    public override IReadOnlyList<Node> Expand(OpContext ctx)
    {
        SetSequence(ctx, 0, new List<string>());
        return new List<Node>();
    }
}
