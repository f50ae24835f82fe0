using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// MaxUnpool: zeros with each X value put at its flat index from I (MaxPool's Indices). The indices address the
/// default shape, (in - 1) * stride + kernel - pads per spatial axis; with output_shape (input 2, constant) each lands
/// at the same coordinates in that (larger) shape.
/// </summary>
internal sealed class MaxUnpoolOp : Operator
{
    public override string OpType => "MaxUnpool";

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        var x = ctx.Shape(0);
        if (x.Length < 3) throw ctx.Fail($"input must be [N, C, spatial...], not {Shape.Format(x)}");
        if (!DataTypes.IsInteger(ctx.Type(1)) || !Shape.Equal(ctx.Shape(1), x)) throw ctx.Fail($"indices must be integers of the input's shape {Shape.Format(x)}");
        var shape = ctx.Has(2) ? ctx.RequireConst(2, "output_shape").ToInts() : DefaultShape(ctx);
        if (shape.Length != x.Length || shape[0] != x[0] || shape[1] != x[1] || shape.Any(d => d < 0))
            throw ctx.Fail($"output shape {Shape.Format(shape)} does not fit input {Shape.Format(x)}");
        var natural = DefaultShape(ctx);
        for (int d = 2; d < shape.Length; d++)
            if (shape[d] < natural[d]) throw ctx.Fail($"output_shape {Shape.Format(shape)} is smaller than the unpooled shape {Shape.Format(natural)}");
        ctx.SetOutput(0, DataType.Float, shape);
    }

    private static int[] DefaultShape(OpContext ctx)
    {
        var x = ctx.Shape(0);
        int r = x.Length - 2;
        var kernel = ctx.IntArray("kernel_shape") ?? throw ctx.Fail("kernel_shape is required");
        var strides = ctx.IntArray("strides") ?? Enumerable.Repeat(1, r).ToArray();
        var pads = ctx.IntArray("pads") ?? new int[2 * r];
        if (kernel.Length != r || strides.Length != r || pads.Length != 2 * r) throw ctx.Fail($"kernel_shape, strides and pads must have {r}, {r} and {2 * r} values");
        return new[] { x[0], x[1] }.Concat(Enumerable.Range(0, r).Select(d => checked((x[d + 2] - 1) * strides[d] + kernel[d] - pads[d] - pads[d + r]))).ToArray();
    }

    public override void Emit(EmitContext ctx)
    {
        var output = ctx.Output(0).RequireShape;
        var from = DefaultShape(ctx);
        long size = Shape.Elements(from);
        ctx.W.Open("");
        ctx.W.Line($"var eai_x = {ctx.In(0)}; var eai_indices = {ctx.In(1)}; var eai_y = {ctx.Out(0)};");
        ctx.W.Line("eai_y.Clear();");
        ctx.W.Open("for (int eai_i = 0; eai_i < eai_x.Length; eai_i++)");
        ctx.W.Line("long eai_k = eai_indices[eai_i];");
        ctx.W.Line($"if ((ulong)eai_k >= {size}UL) throw new global::System.IndexOutOfRangeException(\"MaxUnpool index out of range\");");
        if (Shape.Equal(from, output)) ctx.W.Line("eai_y[(int)eai_k] = eai_x[eai_i];");
        else
        {
            // The index's coordinates in the default shape, re-addressed in the output shape.
            ctx.W.Line($"int eai_at = 0; var eai_from = {ctx.IntTable(from)}; var eai_to = {ctx.IntTable(output)};");
            ctx.W.Line("for (int eai_d = eai_from.Length - 1, eai_scale = 1; eai_d >= 0; eai_scale *= eai_to[eai_d], eai_k /= eai_from[eai_d], eai_d--) eai_at += (int)(eai_k % eai_from[eai_d]) * eai_scale;");
            ctx.W.Line("eai_y[eai_at] = eai_x[eai_i];");
        }
        ctx.W.Close();
        ctx.W.Close();
    }
}
