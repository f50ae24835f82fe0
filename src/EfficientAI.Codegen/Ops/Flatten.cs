using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Flatten to [prod(dims before axis), prod(dims from axis)].</summary>
internal sealed class FlattenOp : ViewOperator
{
    public override string OpType => "Flatten";

    protected override int[] OutputShape(OpContext ctx)
    {
        var x = ctx.Shape(0);
        long axis = ctx.Int("axis", 1);
        int a = (int)(axis < 0 ? axis + x.Length : axis);
        if (a < 0 || a > x.Length) throw ctx.Fail($"axis {axis} is out of range for rank {x.Length}");
        long outer = 1;
        for (int i = 0; i < a; i++) outer *= x[i];
        return new[] { checked((int)outer), checked((int)(Shape.Elements(x) / (outer == 0 ? 1 : outer))) };
    }
}
