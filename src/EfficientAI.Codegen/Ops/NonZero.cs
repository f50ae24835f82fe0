using System.Collections.Generic;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>NonZero: its output shape is the number of non-zero elements, so the input must be constant; the result is folded.</summary>
internal sealed class NonZeroOp : Operator
{
    public override string OpType => "NonZero";

    public override void Infer(OpContext ctx)
    {
        var x = ctx.RequireConst(0, "input whose non-zero count is the output size");
        var shape = x.Shape;
        var found = new List<int>();
        for (int i = 0; i < x.Length; i++)
            if (x.GetDouble(i) != 0 || double.IsNaN(x.GetDouble(i))) found.Add(i);
        var strides = Shape.Strides(shape);
        var y = new long[shape.Length * found.Count];
        for (int j = 0; j < found.Count; j++)
        {
            int rest = found[j];
            for (int d = 0; d < shape.Length; d++)
            {
                y[d * found.Count + j] = rest / strides[d];
                rest %= strides[d];
            }
        }
        ctx.SetConst(0, Tensor.FromLongs(new[] { shape.Length, found.Count }, y));
    }

    public override bool TryEvaluate(OpContext ctx) => true;

    public override void Emit(EmitContext ctx) => throw ctx.Fail("NonZero is always folded");
}
