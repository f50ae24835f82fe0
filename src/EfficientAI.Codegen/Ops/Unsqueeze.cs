using System.Linq;

namespace EfficientAI.Codegen.Ops;

/// <summary>Unsqueeze: axes index the output; attribute before opset 13, input from 13.</summary>
internal sealed class UnsqueezeOp : ViewOperator
{
    public override string OpType => "Unsqueeze";

    protected override int[] OutputShape(OpContext ctx)
    {
        var x = ctx.Shape(0);
        long[] raw = ctx.Opset >= 13 ? ctx.RequireConst(1, "axes").ToLongs() : ctx.Ints("axes") ?? throw ctx.Fail("axes is required");
        int rank = x.Length + raw.Length;
        var axes = raw.Select(a => Ir.Shape.Axis(a, rank)).ToArray();
        if (axes.Distinct().Count() != axes.Length) throw ctx.Fail("axes repeat");
        var shape = new int[rank];
        int src = 0;
        for (int i = 0; i < rank; i++) shape[i] = axes.Contains(i) ? 1 : x[src++];
        return shape;
    }
}
