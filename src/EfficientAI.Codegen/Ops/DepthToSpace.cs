using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>DepthToSpace (DCR or CRD): a reshape to 6-D and one transpose.</summary>
internal class DepthToSpaceOp : Operator
{
    public override string OpType => "DepthToSpace";

    /// <summary>The 6-D view of the input, the permutation, and the output shape.</summary>
    protected virtual (int[] View, int[] Perm, int[] Output) Plan(OpContext ctx)
    {
        var x = ctx.Shape(0);
        if (x.Length != 4) throw ctx.Fail($"input must be [N,C,H,W], not {Shape.Format(x)}");
        int b = (int)ctx.Int("blocksize", 0);
        if (b <= 0 || x[1] % (b * b) != 0) throw ctx.Fail($"blocksize {b} squared does not divide the {x[1]} channels");
        int n = x[0], c = x[1] / (b * b), h = x[2], w = x[3];
        var output = new[] { n, c, checked(h * b), checked(w * b) };
        return ctx.Str("mode", "DCR") switch
        {
            "DCR" => (new[] { n, b, b, c, h, w }, new[] { 0, 3, 4, 1, 5, 2 }, output),
            "CRD" => (new[] { n, c, b, b, h, w }, new[] { 0, 1, 4, 2, 5, 3 }, output),
            var m => throw ctx.Fail($"mode '{m}' is not DCR or CRD"),
        };
    }

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, ctx.Type(0), Plan(ctx).Output);

    public override bool TryEvaluate(OpContext ctx)
    {
        var (view, perm, output) = Plan(ctx);
        var map = TensorMoves.TransposeMap(view, perm);
        ctx.SetConst(0, TensorMoves.Take(ctx.Const(0)!, output, o => map[o]));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var (view, perm, _) = Plan(ctx);
        ctx.W.Line($"global::EfficientAI.Runtime.Layout.Transpose<{DataTypes.CSharp(ctx.Type(0))}>({ctx.In(0)}, {ctx.Out(0)}, {ctx.IntTable(view)}, {ctx.IntTable(perm)});");
    }
}
