namespace EfficientAI.Codegen.Ops;

/// <summary>Scatter (opsets 9-10, deprecated): ScatterElements under its old name.</summary>
internal sealed class ScatterOp : ScatterElementsOp
{
    public override string OpType => "Scatter";
}
