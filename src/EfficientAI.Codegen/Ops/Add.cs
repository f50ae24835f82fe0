namespace EfficientAI.Codegen.Ops;

internal sealed class AddOp : BinaryOperator
{
    public override string OpType => "Add";
    protected override double Apply(double a, double b) => (float)a + (float)b;
    protected override double ApplyDouble(double a, double b) => a + b;
    protected override long ApplyInteger(long a, long b) => unchecked(a + b);
}
