namespace EfficientAI.Codegen.Ops;

/// <summary>HammingWindow: the Hamming window (25/46, 21/46, as ONNX defines it).</summary>
internal sealed class HammingWindowOp : WindowFunctionOperator
{
    public override string OpType => "HammingWindow";
    protected override (double A0, double A1, double A2) Coefficients => (25.0 / 46, 21.0 / 46, 0);
}
