using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// A zero Pad of the spatial axes read only by Convs (how TensorFlow exports "SAME" padding of strided Convs, e.g.
/// M-LSD) becomes those Convs' own pads: the kernels clip their windows at the border instead of reading a padded
/// copy of the whole tensor.
/// </summary>
internal static class PadIntoConv
{
    public static Graph Run(Graph graph)
    {
        var consumers = graph.Consumers();
        var removed = new HashSet<Node>();
        foreach (var pad in graph.Nodes.Where(n => n.OpType == "Pad" && n.Domain.Length == 0))
        {
            var x = graph.Values[pad.Inputs[0]];
            if (x.Type != DataType.Float || x.Shape is not { Length: >= 3 } shape) continue;
            var (pads, mode, value) = PadOp.Resolve(new OpContext(graph, pad));
            int rank = shape.Length;
            // Only the spatial axes, never cropping, padding with +0 (a -0 or NaN fill is not what Conv's padding reads).
            if (mode != "constant" || System.BitConverter.DoubleToInt64Bits(value) != 0 || pads.Any(p => p < 0)) continue;
            if (pads[0] != 0 || pads[1] != 0 || pads[rank] != 0 || pads[rank + 1] != 0) continue;
            string output = pad.Outputs[0];
            if (graph.Outputs.Contains(output) || !consumers.TryGetValue(output, out var readers) || readers.Count == 0) continue;
            if (!readers.All(conv => Absorbs(conv, output, pad, rank))) continue;
            foreach (var conv in readers)
            {
                int spatial = rank - 2;
                var own = conv.Attributes.TryGetValue("pads", out var a) ? a.Ints.Select(p => (int)p).ToArray() : new int[2 * spatial];
                var merged = new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints };
                // Conv pads are [begin per spatial axis..., end per spatial axis...]; Pad's are per axis of the whole tensor.
                for (int i = 0; i < spatial; i++) merged.Ints.Add(own[i] + pads[2 + i]);
                for (int i = 0; i < spatial; i++) merged.Ints.Add(own[spatial + i] + pads[rank + 2 + i]);
                conv.Attributes["pads"] = merged;
                conv.Inputs[0] = pad.Inputs[0];
                conv.Fused.Add("Pad");
            }
            removed.Add(pad);
        }
        graph.Nodes = graph.Nodes.Where(n => !removed.Contains(n)).ToList();
        return graph;
    }

    /// <summary>True for a Conv reading the value only as its data input, with explicit (not auto) padding.</summary>
    private static bool Absorbs(Node conv, string value, Node pad, int rank)
    {
        if (conv.OpType != "Conv" || conv.Domain.Length != 0 || conv.ChannelsLastInput) return false;
        if (conv.Inputs[0] != value || conv.Inputs.Skip(1).Contains(value) || !conv.Guards.SequenceEqual(pad.Guards)) return false;
        if (conv.Attributes.TryGetValue("auto_pad", out var autoPad) && autoPad.S.ToStringUtf8() is not ("" or "NOTSET")) return false;
        return !conv.Attributes.TryGetValue("pads", out var pads) || pads.Ints.Count == 2 * (rank - 2);
    }
}
