namespace EfficientAI.Codegen.Ops;

internal sealed class MeanOp : VariadicOperator
{
    public override string OpType => "Mean";
    protected override string Kernel => "Add";
    protected override bool IsMean => true;
    protected override double Combine(double a, double b) => (float)a + (float)b;
    protected override long CombineInteger(long a, long b) => unchecked(a + b);
}
