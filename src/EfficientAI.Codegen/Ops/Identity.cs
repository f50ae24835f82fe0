using System.Collections.Generic;

namespace EfficientAI.Codegen.Ops;

internal sealed class IdentityOp : ViewOperator
{
    public override string OpType => "Identity";
    protected override int[] OutputShape(OpContext ctx) => ctx.Shape(0);

    /// <summary>Identity of a compile-time sequence (an If branch's or a Loop's output) is another name for its list.</summary>
    public override IReadOnlyList<Ir.Node>? Expand(OpContext ctx)
    {
        if (!ctx.Has(0) || !ctx.Graph.Sequences.TryGetValue(ctx.Node.Inputs[0], out var elements)) return null;
        if (ctx.HasOutput(0)) ctx.Graph.Sequences[ctx.Node.Outputs[0]] = elements;
        return new List<Ir.Node>();
    }
}
