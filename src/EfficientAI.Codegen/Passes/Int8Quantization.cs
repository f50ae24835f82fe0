using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Passes;

/// <summary>What the Int8Quantization pass did with one Conv/Gemm/MatMul, for the build report.</summary>
internal sealed record LayerQuantization(string Node, string OpType, bool Quantized, string Reason, int Channels, float MinWeightScale, float MaxWeightScale);

/// <summary>
/// Quantize="int8": Conv, Gemm and MatMul with constant float weights become QuantizedConv/QuantizedMatMul on
/// symmetric per-output-channel int8 weights; activations are quantized to uint8 per call from their range
/// (dynamic quantization, as ONNX Runtime's quantize_dynamic). Layers left in float say why in
/// <see cref="Graph.Quantization"/>.
/// </summary>
internal static class Int8Quantization
{
    public static Graph Run(Graph graph)
    {
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            if (node.Domain.Length != 0 || node.Guards.Count > 0) continue;
            var replacement = node.OpType switch
            {
                "Conv" => Conv(graph, node),
                "Gemm" => Gemm(graph, node),
                "MatMul" => MatMul(graph, node),
                _ => null,
            };
            if (replacement is not null) graph.Nodes[i] = replacement;
        }
        return graph;
    }

    private static Tensor? Const(Graph graph, Node node, int i) => node.HasInput(i) ? graph.Values[node.Inputs[i]].Constant : null;

    private static Node? Skip(Graph graph, Node node, string reason)
    {
        graph.Quantization.Add(new LayerQuantization(node.Name, node.OpType, false, reason, 0, 0f, 0f));
        return null;
    }

    private static Node Replace(Graph graph, Node node, string opType, sbyte[] q, int[] qShape, float[] scales, float[]? bias)
    {
        var replacement = new Node(opType, QuantizedMatMulOp.OpDomain, node.Name, 1);
        replacement.Inputs.Add(node.Inputs[0]);
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[1] + "_int8", new Tensor(DataType.Int8, qShape, q)));
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[1] + "_scale", Tensor.FromFloats(new[] { scales.Length }, scales)));
        if (bias is not null) replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[1] + "_bias", Tensor.FromFloats(new[] { bias.Length }, bias)));
        replacement.Outputs.Add(node.Outputs[0]);
        foreach (var attr in node.Attributes) replacement.Attributes[attr.Key] = attr.Value;
        replacement.Fused.AddRange(node.Fused);
        graph.Quantization.Add(new LayerQuantization(node.Name, node.OpType, true, "int8 weights per output channel, uint8 activations quantized per call",
            scales.Length, scales.Min(), scales.Max()));
        return replacement;
    }

    private static Node? Conv(Graph graph, Node node)
    {
        var x = graph.Values[node.Inputs[0]];
        var w = Const(graph, node, 1);
        if (x.Type != DataType.Float || w is null || w.Type != DataType.Float) return Skip(graph, node, "weights computed at run time");
        if (node.HasInput(2) && Const(graph, node, 2) is null) return Skip(graph, node, "bias computed at run time");
        int m = w.Shape[0], block = w.Length / (m == 0 ? 1 : m);
        int group = (int)(node.Attributes.TryGetValue("group", out var g) ? g.I : 1);
        if (w.Shape.Length > 1 && w.Shape[1] == 1 && group == m && group > 1) return Skip(graph, node, "depthwise: the float kernel is faster than an int8 im2col");
        var (q, scales) = Int8Weights.Quantize(w.ToFloats(), m, i => i / block);
        return Replace(graph, node, "QuantizedConv", q, w.Shape, scales, Const(graph, node, 2)?.ToFloats());
    }

    private static Node? Gemm(Graph graph, Node node)
    {
        var a = graph.Values[node.Inputs[0]];
        var b = Const(graph, node, 1);
        if (a.Type != DataType.Float || b is null || b.Type != DataType.Float) return Skip(graph, node, "weights computed at run time");
        long Attr(string name, long fallback) => node.Attributes.TryGetValue(name, out var v) ? v.I : fallback;
        float AttrF(string name) => node.Attributes.TryGetValue(name, out var v) ? v.F : 1f;
        if (Attr("transA", 0) != 0) return Skip(graph, node, "transA");
        bool transB = Attr("transB", 0) != 0;
        int k = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
        float alpha = AttrF("alpha"), beta = node.Attributes.ContainsKey("beta") ? AttrF("beta") : 1f;
        float[]? bias = null;
        if (node.HasInput(2))
        {
            var c = Const(graph, node, 2);
            if (c is null) return Skip(graph, node, "C computed at run time");
            if (c.Length != 1 && !(c.Length == n && c.Shape.Length >= 1 && c.Shape[c.Shape.Length - 1] == n)) return Skip(graph, node, "C is not one value per column");
            var cv = c.ToFloats();
            bias = Enumerable.Range(0, n).Select(j => beta * cv[c.Length == 1 ? 0 : j]).ToArray();
        }
        // As [k, n]: w[p, j]; per-column scales with alpha folded in.
        var bv = b.ToFloats();
        var kn = new float[k * n];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++) kn[p * n + j] = bv[transB ? j * k + p : p * n + j];
        var (q, scales) = Int8Weights.Quantize(kn, n, i => i % n);
        for (int j = 0; j < n; j++) scales[j] *= alpha;
        var replacement = Replace(graph, node, "QuantizedMatMul", q, new[] { k, n }, scales, bias);
        replacement.Attributes.Clear();
        return replacement;
    }

    private static Node? MatMul(Graph graph, Node node)
    {
        var a = graph.Values[node.Inputs[0]];
        var b = Const(graph, node, 1);
        if (a.Type != DataType.Float || b is null || b.Type != DataType.Float) return Skip(graph, node, "weights computed at run time");
        if (b.Shape.Length != 2 || a.RequireShape.Length < 2) return Skip(graph, node, "not a 2-D weight matrix");
        int n = b.Shape[1];
        var (q, scales) = Int8Weights.Quantize(b.ToFloats(), n, i => i % n);
        return Replace(graph, node, "QuantizedMatMul", q, b.Shape, scales, null);
    }
}
