using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// A Transpose from [N, H, W, C] to [N, C, H, W] (perm 0,3,1,2: how TensorFlow-born models take an NHWC image)
/// read only by 2-D Convs goes away: those Convs gather their im2col columns from the NHWC tensor directly
/// (Node.ChannelsLastInput), saving one full copy of the input per inference. Depthwise Convs keep the Transpose:
/// their direct kernel reads planes.
/// </summary>
internal static class ChannelsLastConvInput
{
    private static readonly int[] s_nhwcToNchw = { 0, 3, 1, 2 };

    public static Graph Run(Graph graph)
    {
        var consumers = graph.Consumers();
        var removed = new HashSet<Node>();
        foreach (var transpose in graph.Nodes.Where(n => n.OpType == "Transpose" && n.Domain.Length == 0))
        {
            var input = graph.Values[transpose.Inputs[0]];
            if (input.Type != DataType.Float || input.Shape is not { Length: 4 }) continue;
            if (!transpose.Attributes.TryGetValue("perm", out var perm) || !perm.Ints.Select(p => (int)p).SequenceEqual(s_nhwcToNchw)) continue;
            string output = transpose.Outputs[0];
            if (graph.Outputs.Contains(output) || !consumers.TryGetValue(output, out var readers) || readers.Count == 0) continue;
            if (!readers.All(conv => Gathers(graph, conv, output, transpose))) continue;
            foreach (var conv in readers)
            {
                conv.Inputs[0] = transpose.Inputs[0];
                conv.ChannelsLastInput = true;
                conv.Fused.Add("Transpose");
            }
            removed.Add(transpose);
        }
        graph.Nodes = graph.Nodes.Where(n => !removed.Contains(n)).ToList();
        return graph;
    }

    /// <summary>True when the node is a 2-D, non-depthwise Conv reading the value only as its data input.</summary>
    private static bool Gathers(Graph graph, Node conv, string value, Node transpose)
    {
        if (conv.OpType != "Conv" || conv.Domain.Length != 0 || conv.ChannelsLastInput) return false;
        if (conv.Inputs[0] != value || conv.Inputs.Skip(1).Contains(value) || !conv.Guards.SequenceEqual(transpose.Guards)) return false;
        var x = graph.Values[value].Shape;
        var w = graph.Values[conv.Inputs[1]].Shape;
        var y = graph.Values[conv.Outputs[0]].Shape;
        if (x is not { Length: 4 } || w is not { Length: 4 } || y is null || Shape.Elements(y) == 0) return false;
        long group = conv.Attributes.TryGetValue("group", out var g) ? g.I : 1;
        return group > 0 && !(x[1] / group == 1 && w[0] / group == 1);
    }
}
