using EfficientAI.Codegen.Diagnostics;

namespace EfficientAI.Codegen.Ops;

/// <summary>Dropout at inference is the identity; the mask output and training mode (random) are not supported.</summary>
internal sealed class DropoutOp : ViewOperator
{
    public override string OpType => "Dropout";

    protected override int[] OutputShape(OpContext ctx)
    {
        if (ctx.HasOutput(1)) throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "Dropout", $"{ctx.Node.Display} asks for the mask output, which is not supported" });
        // Opset 12+: input 2 switches training mode on; then the output is random unless the ratio is 0.
        if (ctx.Has(2) && !(IsConstant(ctx, 2, 0) || (ctx.Has(1) && IsConstant(ctx, 1, 0))))
            throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "Dropout",
                $"{ctx.Node.Display} has input training_mode '{ctx.Node.Inputs[2]}', which is not a constant false: random dropout (training) is not supported; remove the input or make it a constant false" });
        return ctx.Shape(0);
    }

    private static bool IsConstant(OpContext ctx, int input, double value)
    {
        var t = ctx.Const(input);
        if (t is null) return false;
        for (int i = 0; i < t.Length; i++) if (t.GetDouble(i) != value) return false;
        return true;
    }
}
