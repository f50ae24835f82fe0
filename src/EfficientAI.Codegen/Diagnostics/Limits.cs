namespace EfficientAI.Codegen.Diagnostics;

/// <summary>
/// Bounds on what an untrusted model may ask of the compiler. A source generator runs inside every build and
/// every IDE keystroke: a hostile file must end in a diagnostic, not in a hang or an out-of-memory.
/// </summary>
internal static class Limits
{
    /// <summary>Bytes of a model file (protobuf's own 2 GiB message limit); larger models keep weights as external data.</summary>
    public const long MaxModelBytes = int.MaxValue;

    /// <summary>Elements of any one tensor (2^28 floats = 1 GiB).</summary>
    public const long MaxTensorElements = 1L << 28;

    /// <summary>Nodes in the graph, subgraphs included.</summary>
    public const int MaxNodes = 1_000_000;

    /// <summary>Nesting of subgraphs (If/Loop bodies inside each other).</summary>
    public const int MaxSubgraphDepth = 32;

    /// <summary>Rank of any tensor.</summary>
    public const int MaxRank = 16;
}
