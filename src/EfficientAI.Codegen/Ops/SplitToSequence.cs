using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// SplitToSequence: a Split into the elements, from constant split sizes (a scalar chunk length, the last chunk
/// shorter, or one size per element) or, without split, chunks of 1 along the axis, which keepdims=0 squeezes away.
/// </summary>
internal sealed class SplitToSequenceOp : SequenceOperator
{
    public override string OpType => "SplitToSequence";

    public override IReadOnlyList<Node> Expand(OpContext ctx)
    {
        var x = ctx.Shape(0);
        int axis = Shape.Axis((int)ctx.Int("axis", 0), x.Length);
        int length = x[axis];
        long[] sizes;
        bool squeeze = false;
        if (ctx.Has(1))
        {
            var split = ctx.RequireConst(1, "split").ToLongs();
            if (ctx.Shape(1).Length == 0)
            {
                if (split[0] <= 0) throw ctx.Fail($"split {split[0]} must be positive");
                sizes = Enumerable.Range(0, (int)((length + split[0] - 1) / split[0])).Select(i => System.Math.Min(split[0], length - i * split[0])).ToArray();
            }
            else sizes = split;
            if (sizes.Sum() != length || sizes.Any(s => s < 0)) throw ctx.Fail($"split [{string.Join(",", sizes)}] does not add up to {length}");
        }
        else
        {
            sizes = Enumerable.Repeat(1L, length).ToArray();
            squeeze = ctx.Int("keepdims", 1) == 0;
        }
        var nodes = new List<Node>();
        var parts = Enumerable.Range(0, sizes.Length).Select(i => Local(ctx, "part" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        if (sizes.Length > 0)
        {
            var split = NewNode(ctx, "Split", 13, "split", new[] { ctx.Node.Inputs[0], LongConstant(ctx, "sizes", new[] { sizes.Length }, sizes) }, parts);
            split.Attributes["axis"] = IntAttribute("axis", axis);
            nodes.Add(split);
        }
        var elements = parts;
        if (squeeze)
        {
            var axes = LongConstant(ctx, "axes", new[] { 1 }, new long[] { axis });
            elements = parts.Select(p => p + "/squeezed").ToList();
            for (int i = 0; i < parts.Count; i++)
                nodes.Add(NewNode(ctx, "Squeeze", 13, "squeeze" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), new[] { parts[i], axes }, new[] { elements[i] }));
        }
        SetSequence(ctx, 0, elements);
        return nodes;
    }
}
