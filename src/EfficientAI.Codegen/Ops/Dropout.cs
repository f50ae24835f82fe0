using EfficientAI.Codegen.Diagnostics;

namespace EfficientAI.Codegen.Ops;

/// <summary>Dropout at inference is the identity; the mask output is not supported.</summary>
internal sealed class DropoutOp : ViewOperator
{
    public override string OpType => "Dropout";

    protected override int[] OutputShape(OpContext ctx)
    {
        if (ctx.HasOutput(1)) throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "Dropout", $"{ctx.Node.Display} asks for the mask output, which is not supported" });
        return ctx.Shape(0);
    }
}
