namespace EfficientAI.Codegen.Ops;

internal sealed class MaxOp : VariadicOperator
{
    public override string OpType => "Max";
    protected override string Kernel => "Max";
    protected override double Combine(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : System.Math.Max(a, b);
    protected override long CombineInteger(long a, long b) => System.Math.Max(a, b);
}
