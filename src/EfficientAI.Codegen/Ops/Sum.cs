namespace EfficientAI.Codegen.Ops;

internal sealed class SumOp : VariadicOperator
{
    public override string OpType => "Sum";
    protected override string Kernel => "Add";
    protected override double Combine(double a, double b) => (float)a + (float)b;
    protected override long CombineInteger(long a, long b) => unchecked(a + b);
}
