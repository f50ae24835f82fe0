using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>ConcatFromSequence: a Concat of the elements (with new_axis=1, each Unsqueezed first: a stack).</summary>
internal sealed class ConcatFromSequenceOp : SequenceOperator
{
    public override string OpType => "ConcatFromSequence";

    public override IReadOnlyList<Node> Expand(OpContext ctx)
    {
        var elements = Sequence(ctx, 0);
        if (elements.Count == 0) throw ctx.Fail("the sequence is empty");
        int rank = ctx.Graph.Value(elements[0]).RequireShape.Length;
        bool newAxis = ctx.Int("new_axis", 0) != 0;
        int axis = Shape.Axis((int)ctx.Int("axis", 0), newAxis ? rank + 1 : rank);
        var nodes = new List<Node>();
        var parts = elements;
        if (newAxis)
        {
            var axes = LongConstant(ctx, "axes", new[] { 1 }, new long[] { axis });
            parts = elements.Select((_, i) => Local(ctx, "stacked" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
            for (int i = 0; i < elements.Count; i++)
                nodes.Add(NewNode(ctx, "Unsqueeze", 13, "unsqueeze" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), new[] { elements[i], axes }, new[] { parts[i] }));
        }
        var concat = NewNode(ctx, "Concat", 13, "concat", parts, new[] { ctx.Node.Outputs[0] });
        concat.Attributes["axis"] = IntAttribute("axis", axis);
        nodes.Add(concat);
        return nodes;
    }
}
