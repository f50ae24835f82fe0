using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Dropout at inference (or training with ratio 0) is the identity, and its mask output is all true: a constant.
/// Training mode with a ratio that is not a constant 0 is random and refused.
/// </summary>
internal sealed class DropoutOp : ViewOperator
{
    public override string OpType => "Dropout";

    protected override int[] OutputShape(OpContext ctx)
    {
        // Opset 12+: input 2 switches training mode on; then the output is random unless the ratio is 0.
        if (ctx.Has(2) && !(IsConstant(ctx, 2, 0) || (ctx.Has(1) && IsConstant(ctx, 1, 0))))
            throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "Dropout",
                $"{ctx.Node.Display} has input training_mode '{ctx.Node.Inputs[2]}', which is not a constant false: random dropout (training) is not supported; remove the input or make it a constant false" });
        return ctx.Shape(0);
    }

    public override void Infer(OpContext ctx)
    {
        base.Infer(ctx);
        if (ctx.HasOutput(1))
        {
            var mask = new bool[Shape.ElementsInt(ctx.Shape(0))];
            for (int i = 0; i < mask.Length; i++) mask[i] = true;
            ctx.SetConst(1, new Tensor(DataType.Bool, ctx.Shape(0), mask));
        }
    }

    /// <summary>Emitted only when output 0 is a graph output (else it is a view): then a mask that is one too is filled here.</summary>
    public override void Emit(EmitContext ctx)
    {
        base.Emit(ctx);
        if (ctx.HasOutput(1) && ctx.Graph.Outputs.Contains(ctx.Node.Outputs[1])) ctx.W.Line($"{ctx.Out(1)}.Fill(true);");
    }

    private static bool IsConstant(OpContext ctx, int input, double value)
    {
        var t = ctx.Const(input);
        if (t is null) return false;
        for (int i = 0; i < t.Length; i++) if (t.GetDouble(i) != value) return false;
        return true;
    }
}
