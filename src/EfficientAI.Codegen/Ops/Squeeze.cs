using System.Collections.Generic;
using System.Linq;

namespace EfficientAI.Codegen.Ops;

/// <summary>Squeeze: axes as attribute before opset 13, as an input from 13; no axes removes every 1.</summary>
internal sealed class SqueezeOp : ViewOperator
{
    public override string OpType => "Squeeze";

    protected override int[] OutputShape(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var axes = Axes(ctx, 1, 13, x.Length);
        var result = new List<int>();
        for (int i = 0; i < x.Length; i++)
        {
            bool drop = axes is null ? x[i] == 1 : axes.Contains(i);
            if (drop && x[i] != 1) throw ctx.Fail($"cannot squeeze axis {i} of size {x[i]}");
            if (!drop) result.Add(x[i]);
        }
        return result.ToArray();
    }
}
