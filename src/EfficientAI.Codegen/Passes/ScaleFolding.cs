using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// Multiplications by constants folded into the weights of the neighbouring Conv, Gemm or MatMul, where that is exact
/// algebra:
/// after the op, Mul (or Div) by a constant that varies only along the output channel scales that channel's weights
/// and bias: (W x + B) s = (W s) x + B s;
/// before a Conv, Mul by a constant per input channel scales that channel's weights (zero padding stays zero), and
/// Add (or Sub) of one moves into the bias when the Conv has no padding: W (x + t) = W x + sum(W t).
/// With <see cref="BiasAddFusion"/> it folds chains like Conv -> Mul -> Add (the pipeline alternates the two).
/// </summary>
internal static class ScaleFolding
{
    public static Graph Run(Graph graph)
    {
        var consumers = graph.Consumers();
        var producers = GraphEdit.ProducerMap(graph);
        var removed = new HashSet<Node>();
        foreach (var node in graph.Nodes.Where(n => n.Domain.Length == 0 && n.OpType is "Conv" or "Gemm" or "MatMul").ToList())
        {
            if (node.Activation is not null || node.Outputs.Count != 1) continue;
            if (FoldAfter(graph, consumers, node) is { } after) removed.Add(after);
            if (node.OpType == "Conv" && producers.TryGetValue(node.Inputs[0], out var before) && !removed.Contains(before) && FoldBefore(graph, consumers, before, node))
                removed.Add(before);
        }
        graph.Nodes = graph.Nodes.Where(n => !removed.Contains(n)).ToList();
        return graph;
    }

    /// <summary>op -> Mul/Div by a per-output-channel constant: the weights (and bias) take the scale. Returns the folded node.</summary>
    private static Node? FoldAfter(Graph graph, Dictionary<string, List<Node>> consumers, Node op)
    {
        var output = op.Outputs[0];
        var mul = GraphEdit.SoleReader(graph, consumers, output, op);
        if (mul is null || mul.Domain.Length != 0 || mul.OpType is not ("Mul" or "Div")) return null;
        int other = GraphEdit.OtherInput(mul, output);
        if (other < 0 || (mul.OpType == "Div" && other != 1)) return null;
        var constant = graph.Values[mul.Inputs[other]].Constant;
        var shape = graph.Values[output].RequireShape;
        if (constant is null || !Shape.Equal(graph.Values[mul.Outputs[0]].RequireShape, shape)) return null;
        var s = GraphEdit.AlongAxis(constant, shape, op.OpType == "Conv" ? 1 : shape.Length - 1);
        if (s is null) return null;
        if (mul.OpType == "Div")
        {
            if (s.Any(v => v == 0f)) return null; // x / 0 is not W x * (1 / 0)
            s = s.Select(v => 1f / v).ToArray();
        }

        var w = graph.Values[op.Inputs[1]].Constant;
        if (w is null || w.Type != DataType.Float) return null;
        float[]? bias = null;
        if (op.OpType != "MatMul" && op.HasInput(2))
        {
            bias = BiasAddFusion.CurrentBias(graph, op, s.Length);
            if (bias is null) return null;
        }
        var weights = w.ToFloats();
        switch (op.OpType)
        {
            case "Conv": // W [M, C/g, kh, kw]: one block per output channel
                int block = weights.Length / s.Length;
                for (int i = 0; i < weights.Length; i++) weights[i] *= s[i / block];
                break;
            case "Gemm" when op.Attributes.TryGetValue("transB", out var t) && t.I != 0: // B [N, K]: rows
                int k = weights.Length / s.Length;
                for (int i = 0; i < weights.Length; i++) weights[i] *= s[i / k];
                break;
            default: // Gemm B or MatMul B [K, N]: columns
                if (w.Shape.Length != 2) return null;
                for (int i = 0; i < weights.Length; i++) weights[i] *= s[i % s.Length];
                break;
        }
        op.Inputs[1] = GraphEdit.AddConstant(graph, op.Inputs[1] + "_scaled", Tensor.FromFloats(w.Shape, weights));
        if (bias is not null) BiasAddFusion.SetBias(graph, op, bias.Select((b, i) => b * s[i]).ToArray());
        op.Outputs[0] = mul.Outputs[0];
        op.Fused.Add(mul.OpType);
        return mul;
    }

    /// <summary>Mul/Add/Sub by a per-input-channel constant -> Conv: the Conv reads the unscaled input. True when folded.</summary>
    private static bool FoldBefore(Graph graph, Dictionary<string, List<Node>> consumers, Node pre, Node conv)
    {
        if (pre.Domain.Length != 0 || pre.OpType is not ("Mul" or "Add" or "Sub") || pre.Outputs.Count != 1) return false;
        if (GraphEdit.SoleReader(graph, consumers, pre.Outputs[0], pre) != conv || conv.Inputs.Skip(1).Contains(pre.Outputs[0])) return false;
        if (pre.Inputs.Count != 2) return false;
        int data = pre.Inputs.Count == 2 && graph.Values[pre.Inputs[0]].Constant is null ? 0 : 1;
        int other = 1 - data;
        if (pre.OpType == "Sub" && other != 1) return false;
        var constant = graph.Values[pre.Inputs[other]].Constant;
        var x = graph.Values[pre.Inputs[data]];
        var shape = graph.Values[pre.Outputs[0]].RequireShape;
        if (constant is null || x.Constant is not null || x.Type != DataType.Float || !Shape.Equal(x.RequireShape, shape)) return false;
        var v = GraphEdit.AlongAxis(constant, shape, 1);
        var w = graph.Values[conv.Inputs[1]].Constant;
        if (v is null || w is null || w.Type != DataType.Float) return false;

        int m = w.Shape[0], groupChannels = w.Shape[1], group = v.Length / groupChannels;
        if (group <= 0 || m % group != 0) return false;
        int perGroup = m / group, kernel = w.Length / (m * groupChannels);
        var weights = w.ToFloats();
        int Channel(int oc, int ic) => oc / perGroup * groupChannels + ic;
        if (pre.OpType == "Mul")
        {
            for (int oc = 0; oc < m; oc++)
                for (int ic = 0; ic < groupChannels; ic++)
                    for (int k = 0; k < kernel; k++) weights[(oc * groupChannels + ic) * kernel + k] *= v[Channel(oc, ic)];
            conv.Inputs[1] = GraphEdit.AddConstant(graph, conv.Inputs[1] + "_scaled", Tensor.FromFloats(w.Shape, weights));
        }
        else
        {
            // The shift passes through the window only where the window never reads padding.
            var pads = conv.Attributes.TryGetValue("pads", out var p) ? p.Ints.ToArray() : new long[0];
            var autoPad = conv.Attributes.TryGetValue("auto_pad", out var a) ? a.S.ToStringUtf8() : "NOTSET";
            if (pads.Any(x => x != 0) || autoPad is not ("NOTSET" or "VALID")) return false;
            var bias = BiasAddFusion.CurrentBias(graph, conv, m);
            if (bias is null) return false;
            float sign = pre.OpType == "Sub" ? -1f : 1f;
            for (int oc = 0; oc < m; oc++)
            {
                double sum = 0;
                for (int ic = 0; ic < groupChannels; ic++)
                    for (int k = 0; k < kernel; k++) sum += (double)weights[(oc * groupChannels + ic) * kernel + k] * v[Channel(oc, ic)];
                bias[oc] += sign * (float)sum;
            }
            BiasAddFusion.SetBias(graph, conv, bias);
        }
        conv.Inputs[0] = pre.Inputs[data];
        conv.Fused.Insert(0, pre.OpType + " (before)");
        return true;
    }
}
