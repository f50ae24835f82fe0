using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Reshape: 0 copies the input dim (unless allowzero), -1 is inferred. The target shape must be known at compile time.</summary>
internal sealed class ReshapeOp : ViewOperator
{
    public override string OpType => "Reshape";

    protected override int[] OutputShape(OpContext ctx)
    {
        var x = ctx.Shape(0);
        long[] target = ctx.Opset < 5 ? (ctx.Ints("shape") ?? throw ctx.Fail("shape attribute is required")) : ctx.RequireConst(1, "target shape").ToLongs();
        bool allowZero = ctx.Int("allowzero", 0) != 0;
        var shape = new int[target.Length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            long d = target[i];
            if (d == 0 && !allowZero)
            {
                if (i >= x.Length) throw ctx.Fail($"target dim {i} is 0 but the input has rank {x.Length}");
                d = x[i];
            }
            if (d == -1)
            {
                if (infer >= 0) throw ctx.Fail("more than one -1 in the target shape");
                infer = i;
                continue;
            }
            if (d < 0 || d > int.MaxValue) throw ctx.Fail($"target dim {d} is invalid");
            shape[i] = (int)d;
            known = checked(known * d);
        }
        if (infer >= 0)
        {
            long total = Shape.Elements(x);
            if (known == 0 || total % known != 0) throw ctx.Fail($"cannot infer -1 reshaping {Shape.Format(x)} to [{string.Join(",", target)}]");
            shape[infer] = checked((int)(total / known));
        }
        return shape;
    }
}
