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

    /// <summary>
    /// A constant broadcast against a tensor of <paramref name="shape"/> that varies at most along <paramref name="axis"/>
    /// and does not enlarge the shape, as one value per index of that axis; null when it varies along another axis.
    /// </summary>
    public static float[]? AlongAxis(Tensor constant, int[] shape, int axis)
    {
        var c = constant.Shape;
        if (c.Length > shape.Length || (constant.Type != DataType.Float)) return null;
        int n = shape[axis];
        bool varies = false;
        for (int d = 0; d < c.Length; d++)
        {
            int p = shape.Length - c.Length + d;
            if (c[d] == 1) continue;
            if (p != axis || c[d] != n) return null;
            varies = true;
        }
        var values = constant.ToFloats();
        var result = new float[n];
        for (int i = 0; i < n; i++) result[i] = values[varies ? i : 0];
        return result;
    }

    /// <summary>The single node reading <paramref name="value"/> when it is not a graph output and runs under the same guards as <paramref name="producer"/>.</summary>
    public static Node? SoleReader(Graph graph, Dictionary<string, List<Node>> consumers, string value, Node producer) =>
        HasSingleInternalConsumer(graph, consumers, value) && consumers[value][0] is var reader && reader.Guards.SequenceEqual(producer.Guards) ? reader : null;

    /// <summary>The other operand of a binary node when one of its inputs is <paramref name="value"/>: its index, or -1.</summary>
    public static int OtherInput(Node binary, string value) =>
        binary.Inputs.Count != 2 ? -1 : binary.Inputs[0] == value && binary.Inputs[1] != value ? 1 : binary.Inputs[1] == value && binary.Inputs[0] != value ? 0 : -1;
}
