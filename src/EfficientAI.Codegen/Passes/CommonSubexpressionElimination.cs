using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using Google.Protobuf;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// Nodes that apply the same op with the same attributes to the same inputs compute the same values: keep the first.
/// Only nodes under the same guards (run-time If branches) merge: a branch's node may not run.
/// </summary>
internal static class CommonSubexpressionElimination
{
    public static Graph Run(Graph graph)
    {
        var seen = new Dictionary<string, Node>(StringComparer.Ordinal);
        var kept = new List<Node>();
        foreach (var node in graph.Nodes)
        {
            var key = Key(node);
            if (seen.TryGetValue(key, out var first) && first.Outputs.Count == node.Outputs.Count && !node.Outputs.Any(graph.Outputs.Contains))
            {
                for (int i = 0; i < node.Outputs.Count; i++)
                    if (node.Outputs[i].Length > 0) GraphEdit.ReplaceUses(graph, node.Outputs[i], first.Outputs[i]);
                continue;
            }
            seen[key] = node;
            kept.Add(node);
        }
        graph.Nodes = kept;
        return graph;
    }

    private static string Key(Node node)
    {
        var attributes = node.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal)
            .Select(a => a.Key + "=" + Convert.ToBase64String(a.Value.ToByteArray()));
        var guards = node.Guards.Select(g => (g.When ? "+" : "-") + g.Condition);
        return node.Domain + "\u0001" + node.OpType + "\u0001" + string.Join("\u0002", node.Inputs) + "\u0001" + string.Join("\u0002", attributes) + "\u0001" + string.Join("\u0002", guards);
    }
}
