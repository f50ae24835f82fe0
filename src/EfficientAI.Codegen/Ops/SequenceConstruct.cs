using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>SequenceConstruct: the inputs, in order, as a compile-time sequence.</summary>
internal sealed class SequenceConstructOp : SequenceOperator
{
    public override string OpType => "SequenceConstruct";

    public override IReadOnlyList<Node> Expand(OpContext ctx)
    {
        for (int i = 0; i < ctx.InputCount; i++) ctx.Input(i);
        SetSequence(ctx, 0, ctx.Node.Inputs.ToList());
        return new List<Node>();
    }
}
