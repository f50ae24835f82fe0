using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>Small matching helpers for the recognition passes: producers by op type, constant scalars, and whether a matched subgraph may be replaced.</summary>
internal sealed class Pattern
{
    private readonly Graph _graph;
    private readonly Dictionary<string, Node> _producers;
    private readonly Dictionary<string, List<Node>> _consumers;

    public Pattern(Graph graph)
    {
        _graph = graph;
        _producers = GraphEdit.ProducerMap(graph);
        _consumers = graph.Consumers();
    }

    /// <summary>The node of type <paramref name="opType"/> (default domain) that produces <paramref name="value"/>, or null.</summary>
    public Node? Producer(string value, string opType) =>
        _producers.TryGetValue(value, out var n) && n.OpType == opType && n.Domain.Length == 0 ? n : null;

    /// <summary>The node that produces <paramref name="value"/>, of any type, or null.</summary>
    public Node? AnyProducer(string value) => _producers.TryGetValue(value, out var n) ? n : null;

    /// <summary>The nodes reading <paramref name="value"/>.</summary>
    public IReadOnlyList<Node> Readers(string value) => _consumers.TryGetValue(value, out var list) ? list : (IReadOnlyList<Node>)Array.Empty<Node>();

    /// <summary>True when <paramref name="value"/> is a float constant with one element close to <paramref name="expected"/> (relative 1e-4).</summary>
    public bool IsScalar(string value, double expected) =>
        _graph.Values.TryGetValue(value, out var v) && v.Constant is { Length: 1 } c && c.Type == DataType.Float
        && Math.Abs(c.GetDouble(0) - expected) <= 1e-4 * Math.Abs(expected);

    /// <summary>The float constant with one element, or null.</summary>
    public double? Scalar(string value) =>
        _graph.Values.TryGetValue(value, out var v) && v.Constant is { Length: 1 } c && c.Type == DataType.Float ? c.GetDouble(0) : null;

    /// <summary>For a binary node reading <paramref name="value"/> on one side, the other input; null otherwise.</summary>
    public static string? Other(Node binary, string value)
    {
        int i = GraphEdit.OtherInput(binary, value);
        return i < 0 ? null : binary.Inputs[i];
    }

    /// <summary>
    /// True when the matched nodes can be replaced by one node producing <paramref name="output"/>: they run under the
    /// same guards (unless <paramref name="sameGuards"/> is false: the caller has checked that the conditional parts
    /// compute what the replacement does), and every other value they produce is read only inside the match and is not
    /// a graph output.
    /// </summary>
    public bool Replaceable(IReadOnlyCollection<Node> matched, string output, bool sameGuards = true)
    {
        var set = new HashSet<Node>(matched);
        var guards = matched.First().Guards;
        foreach (var node in matched)
        {
            if (sameGuards && !node.Guards.SequenceEqual(guards)) return false;
            foreach (var o in node.Outputs.Where(o => o.Length > 0 && o != output))
                if (_graph.Outputs.Contains(o) || Readers(o).Any(r => !set.Contains(r))) return false;
        }
        return true;
    }

    /// <summary>
    /// Replaces matches until none is left: for each node of type <paramref name="coreOpType"/> (default domain),
    /// <paramref name="tryMatch"/> gives the matched nodes and their one replacement, or null. Matching restarts after each
    /// replacement (the producer and reader maps change).
    /// </summary>
    public static Graph RewriteAll(Graph graph, Func<Node, bool> isCore, Func<Graph, Pattern, Node, (List<Node> Nodes, Node Replacement)?> tryMatch)
    {
        for (bool changed = true; changed;)
        {
            changed = false;
            var p = new Pattern(graph);
            foreach (var core in graph.Nodes.Where(n => n.Domain.Length == 0 && isCore(n)))
            {
                if (tryMatch(graph, p, core) is not { } match) continue;
                Replace(graph, match.Nodes, match.Replacement);
                changed = true;
                break;
            }
        }
        return graph;
    }

    /// <summary>Replaces the matched nodes by <paramref name="replacement"/>, placed where the last of them was (inputs precede it).</summary>
    public static void Replace(Graph graph, IReadOnlyCollection<Node> matched, Node replacement)
    {
        var set = new HashSet<Node>(matched);
        int last = graph.Nodes.FindLastIndex(set.Contains);
        graph.Nodes[last] = replacement;
        graph.Nodes = graph.Nodes.Where(n => !set.Contains(n)).ToList();
    }
}
