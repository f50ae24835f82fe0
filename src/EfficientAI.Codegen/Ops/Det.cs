using System;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Det: the determinants of the square matrices in the last two axes, by LU decomposition in double.</summary>
internal sealed class DetOp : Operator
{
    public override string OpType => "Det";

    public override void Infer(OpContext ctx)
    {
        ctx.RequireFloat(0);
        var x = ctx.Shape(0);
        if (x.Length < 2 || x[x.Length - 1] != x[x.Length - 2]) throw ctx.Fail($"input must be [..., n, n], not {Shape.Format(x)}");
        ctx.SetOutput(0, DataType.Float, x.Take(x.Length - 2).ToArray());
    }

    public override long ScratchFloats(OpContext ctx)
    {
        int n = ctx.Shape(0)[ctx.Rank(0) - 1];
        return 2L * n * n; // n * n doubles
    }

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        int n = x[x.Length - 1];
        int batch = Shape.ElementsInt(ctx.Output(0).RequireShape);
        ctx.W.Line($"global::EfficientAI.Runtime.LinearAlgebra.Determinant({ctx.In(0)}, {ctx.Out(0)}, {batch}, {n}, global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, double>({ctx.Scratch}));");
    }
}
