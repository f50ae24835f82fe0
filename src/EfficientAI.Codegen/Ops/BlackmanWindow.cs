namespace EfficientAI.Codegen.Ops;

/// <summary>BlackmanWindow: the Blackman window (0.42, 0.5, 0.08).</summary>
internal sealed class BlackmanWindowOp : WindowFunctionOperator
{
    public override string OpType => "BlackmanWindow";
    protected override (double A0, double A1, double A2) Coefficients => (0.42, 0.5, 0.08);
}
