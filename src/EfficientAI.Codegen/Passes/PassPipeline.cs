using System;
using System.Collections.Generic;
using System.Threading;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>The graph passes, in order. Each can be switched off by name with the DisabledPasses option ("all" disables every optional pass).</summary>
internal static class PassPipeline
{
    public static readonly string[] OptionalPasses = { "ConstantFolding", "DeadNodeElimination" };

    public static Graph Run(Graph graph, ISet<string> disabled, CancellationToken ct)
    {
        bool On(string pass) => !disabled.Contains(pass) && !disabled.Contains("all");
        // Shape inference always runs (every later stage needs static shapes); folding is optional.
        graph = ShapeInference.Run(graph, On("ConstantFolding"), ct);
        if (On("DeadNodeElimination")) graph = DeadNodeElimination.Run(graph);
        return graph;
    }
}
