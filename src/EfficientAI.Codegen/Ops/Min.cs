namespace EfficientAI.Codegen.Ops;

internal sealed class MinOp : VariadicOperator
{
    public override string OpType => "Min";
    protected override string Kernel => "Min";
    protected override double Combine(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : System.Math.Min(a, b);
    protected override long CombineInteger(long a, long b) => System.Math.Min(a, b);
}
