namespace EfficientAI.Codegen.Ops;

/// <summary>HannWindow: the Hann window (0.5, 0.5).</summary>
internal sealed class HannWindowOp : WindowFunctionOperator
{
    public override string OpType => "HannWindow";
    protected override (double A0, double A1, double A2) Coefficients => (0.5, 0.5, 0);
}
