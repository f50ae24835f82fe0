using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>Removes nodes none of whose outputs reach a graph output, and constants nothing reads.</summary>
internal static class DeadNodeElimination
{
    public static Graph Run(Graph graph)
    {
        var live = new HashSet<string>(graph.Outputs);
        var kept = new List<Node>();
        for (int i = graph.Nodes.Count - 1; i >= 0; i--)
        {
            var node = graph.Nodes[i];
            if (!node.Outputs.Any(live.Contains)) continue;
            kept.Add(node);
            foreach (var input in node.Inputs) if (input.Length > 0) live.Add(input);
        }
        kept.Reverse();
        graph.Nodes = kept;
        foreach (var name in graph.Values.Where(v => v.Value.Constant is not null && !live.Contains(v.Key)).Select(v => v.Key).ToList())
            graph.Values.Remove(name);
        return graph;
    }
}
