using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Passes;

/// <summary>Two Transposes in a row compose into one; when they cancel, both go.</summary>
internal static class TransposePairs
{
    public static Graph Run(Graph graph)
    {
        var removed = new HashSet<Node>();
        bool changed = true;
        while (changed)
        {
            changed = false;
            var consumers = graph.Consumers();
            var producers = GraphEdit.ProducerMap(graph);
            foreach (var second in graph.Nodes.Where(n => n.OpType == "Transpose" && n.Domain.Length == 0 && !removed.Contains(n)))
            {
                if (!producers.TryGetValue(second.Inputs[0], out var first) || first.OpType != "Transpose" || removed.Contains(first)) continue;
                if (!GraphEdit.HasSingleInternalConsumer(graph, consumers, second.Inputs[0])) continue;
                var p1 = Perm(graph, first);
                var p2 = Perm(graph, second);
                var composed = p2.Select(i => p1[i]).ToArray();
                removed.Add(first);
                if (composed.Select((p, i) => p == i).All(x => x) && !graph.Outputs.Contains(second.Outputs[0]))
                {
                    GraphEdit.ReplaceUses(graph, second.Outputs[0], first.Inputs[0]);
                    removed.Add(second);
                }
                else
                {
                    second.Inputs[0] = first.Inputs[0];
                    var attr = new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints };
                    attr.Ints.AddRange(composed.Select(p => (long)p));
                    second.Attributes["perm"] = attr;
                    second.Fused.Add("Transpose");
                }
                changed = true;
                break;
            }
            graph.Nodes = graph.Nodes.Where(n => !removed.Contains(n)).ToList();
        }
        return graph;
    }

    private static int[] Perm(Graph graph, Node node)
    {
        int rank = graph.Values[node.Inputs[0]].RequireShape.Length;
        return node.Attributes.TryGetValue("perm", out var a) ? a.Ints.Select(p => (int)p).ToArray() : Enumerable.Range(0, rank).Reverse().ToArray();
    }
}
