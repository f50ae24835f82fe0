using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>Small rewrites the passes share.</summary>
internal static class GraphEdit
{
    /// <summary>Makes every node read <paramref name="replacement"/> where it read <paramref name="value"/>. Graph outputs keep their names, so callers never replace one.</summary>
    public static void ReplaceUses(Graph graph, string value, string replacement)
    {
        foreach (var node in graph.Nodes)
        {
            for (int i = 0; i < node.Inputs.Count; i++)
                if (node.Inputs[i] == value) node.Inputs[i] = replacement;
            if (node.Guards.Any(g => g.Condition == value))
                node.Guards = node.Guards.Select(g => g.Condition == value ? g with { Condition = replacement } : g).ToList();
        }
    }

    /// <summary>A value name not used yet, derived from a hint.</summary>
    public static string FreshName(Graph graph, string hint)
    {
        var name = hint;
        for (int i = 2; graph.Values.ContainsKey(name); i++) name = hint + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return name;
    }

    /// <summary>Adds a compile-time constant value to the graph and returns its name.</summary>
    public static string AddConstant(Graph graph, string hint, Tensor tensor)
    {
        var v = graph.Value(FreshName(graph, hint));
        v.Constant = tensor;
        v.Type = tensor.Type;
        v.Shape = tensor.Shape;
        return v.Name;
    }

    /// <summary>True when exactly one node reads the value and it is not a graph output.</summary>
    public static bool HasSingleInternalConsumer(Graph graph, Dictionary<string, List<Node>> consumers, string value) =>
        !graph.Outputs.Contains(value) && consumers.TryGetValue(value, out var list) && list.Count == 1;

    public static Dictionary<string, Node> ProducerMap(Graph graph) => graph.Nodes
        .SelectMany(n => n.Outputs.Where(o => o.Length > 0).Select(o => (o, n)))
        .GroupBy(x => x.o).ToDictionary(g => g.Key, g => g.First().n);
}
