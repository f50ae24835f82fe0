using System.Collections.Generic;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>SequenceAt: the element at a constant position, as an Identity of that tensor.</summary>
internal sealed class SequenceAtOp : SequenceOperator
{
    public override string OpType => "SequenceAt";

    public override IReadOnlyList<Node> Expand(OpContext ctx)
    {
        var elements = Sequence(ctx, 0);
        int at = Position(ctx, 1, elements.Count, 0);
        return new List<Node> { NewNode(ctx, "Identity", 1, "at", new[] { elements[at] }, new[] { ctx.Node.Outputs[0] }) };
    }
}
