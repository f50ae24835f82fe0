namespace EfficientAI.Codegen.Ops;

/// <summary>SpaceToDepth: the inverse of DepthToSpace in DCR order, also one transpose of a 6-D view.</summary>
internal sealed class SpaceToDepthOp : DepthToSpaceOp
{
    public override string OpType => "SpaceToDepth";

    protected override (int[] View, int[] Perm, int[] Output) Plan(OpContext ctx)
    {
        var x = ctx.Shape(0);
        if (x.Length != 4) throw ctx.Fail($"input must be [N,C,H,W], not {Ir.Shape.Format(x)}");
        int b = (int)ctx.Int("blocksize", 0);
        if (b <= 0 || x[2] % b != 0 || x[3] % b != 0) throw ctx.Fail($"blocksize {b} does not divide the spatial size {x[2]}x{x[3]}");
        int n = x[0], c = x[1], h = x[2] / b, w = x[3] / b;
        return (new[] { n, c, h, b, w, b }, new[] { 0, 3, 5, 1, 2, 4 }, new[] { n, checked(c * b * b), h, w });
    }
}
