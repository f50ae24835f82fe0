using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// Split along an axis whose every piece goes, once each, into one Concat along the same axis is a reordering of that
/// axis (ML.NET's ResNet preprocessing turns RGB into BGR this way): one Gather with constant indices, one copy pass
/// instead of two; Identity when the order is unchanged.
/// </summary>
internal static class SplitConcatToGather
{
    public static Graph Run(Graph graph)
    {
        var consumers = graph.Consumers();
        var producers = GraphEdit.ProducerMap(graph);
        var replaced = new Dictionary<Node, Node>();
        var removed = new HashSet<Node>();
        foreach (var concat in graph.Nodes.Where(n => n.Domain.Length == 0 && n.OpType == "Concat" && n.Inputs.Count > 1).ToList())
        {
            if (!producers.TryGetValue(concat.Inputs[0], out var split) || split.OpType != "Split" || split.Domain.Length != 0) continue;
            if (split.Guards.Count > 0 || concat.Guards.Count > 0 || removed.Contains(split)) continue;
            var pieces = split.Outputs;
            if (pieces.Count != concat.Inputs.Count || pieces.Any(p => p.Length == 0) || concat.Inputs.Distinct().Count() != pieces.Count
                || !concat.Inputs.All(pieces.Contains)) continue;
            if (pieces.Any(p => !GraphEdit.HasSingleInternalConsumer(graph, consumers, p))) continue;
            var x = graph.Values[split.Inputs[0]];
            if (x.Shape is null) continue;
            int rank = x.Shape.Length;
            int splitAxis = Shape.Axis(split.Attributes.TryGetValue("axis", out var sa) ? sa.I : 0, rank);
            int concatAxis = Shape.Axis(concat.Attributes["axis"].I, rank);
            if (splitAxis != concatAxis) continue;

            // Where each piece starts on the axis, then the indices of the pieces in Concat order.
            var start = new Dictionary<string, int>();
            int offset = 0;
            foreach (var p in pieces)
            {
                start[p] = offset;
                offset += graph.Values[p].RequireShape[splitAxis];
            }
            var indices = concat.Inputs.SelectMany(p => Enumerable.Range(start[p], graph.Values[p].RequireShape[splitAxis]).Select(i => (long)i)).ToArray();

            Node replacement;
            if (indices.Select((v, i) => v == i).All(same => same))
            {
                replacement = new Node("Identity", "", concat.Name, concat.Opset);
                replacement.Inputs.Add(split.Inputs[0]);
            }
            else
            {
                replacement = new Node("Gather", "", concat.Name, concat.Opset);
                replacement.Inputs.Add(split.Inputs[0]);
                replacement.Inputs.Add(GraphEdit.AddConstant(graph, concat.Name + "_order", Tensor.FromLongs(new[] { indices.Length }, indices)));
                replacement.Attributes["axis"] = new Onnx.Proto.AttributeProto { Name = "axis", Type = Onnx.Proto.AttributeProto.Types.AttributeType.Int, I = splitAxis };
            }
            replacement.Outputs.Add(concat.Outputs[0]);
            replacement.Fused.Add("Split");
            replacement.Fused.Add("Concat");
            replaced[concat] = replacement;
            removed.Add(split);
        }
        graph.Nodes = graph.Nodes.Where(n => !removed.Contains(n)).Select(n => replaced.TryGetValue(n, out var r) ? r : n).ToList();
        return graph;
    }
}
