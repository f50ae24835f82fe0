namespace EfficientAI.Codegen.Ops;

internal sealed class DivOp : BinaryOperator
{
    public override string OpType => "Div";
    protected override double Apply(double a, double b) => (float)a / (float)b;
    protected override double ApplyDouble(double a, double b) => a / b;
    protected override long ApplyInteger(long a, long b) => b == 0 ? 0 : a / b;
}
