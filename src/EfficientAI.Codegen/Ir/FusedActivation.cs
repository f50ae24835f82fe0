namespace EfficientAI.Codegen.Ir;

/// <summary>
/// An activation applied to a node's output 0 right after its kernel (an epilogue), named by its
/// EfficientAI.Runtime.Activation member, with that activation's alpha and beta.
/// </summary>
internal sealed record FusedActivation(string Kind, float Alpha, float Beta);
