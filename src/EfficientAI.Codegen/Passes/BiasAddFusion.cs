using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// Conv or Gemm followed by Add (or Sub) of a constant that varies only along the output channel (Conv: axis 1;
/// Gemm: the columns) folds into the op's bias: B'[c] = B[c] + d[c] (Gemm: C' = beta * C + d, beta' = 1).
/// </summary>
internal static class BiasAddFusion
{
    public static Graph Run(Graph graph)
    {
        var consumers = graph.Consumers();
        var removed = new HashSet<Node>();
        foreach (var producer in graph.Nodes.Where(n => n.Domain.Length == 0 && n.OpType is "Conv" or "Gemm").ToList())
        {
            if (producer.Activation is not null || producer.Outputs.Count != 1) continue;
            var output = producer.Outputs[0];
            var add = GraphEdit.SoleReader(graph, consumers, output, producer);
            if (add is null || add.Domain.Length != 0 || add.OpType is not ("Add" or "Sub")) continue;
            int other = GraphEdit.OtherInput(add, output);
            if (other < 0 || (add.OpType == "Sub" && other != 1)) continue;
            var constant = graph.Values[add.Inputs[other]].Constant;
            var shape = graph.Values[output].RequireShape;
            if (constant is null || !Shape.Equal(graph.Values[add.Outputs[0]].RequireShape, shape)) continue;
            var d = GraphEdit.AlongAxis(constant, shape, 1);
            if (d is null) continue;
            if (add.OpType == "Sub") d = d.Select(v => -v).ToArray();
            var bias = CurrentBias(graph, producer, d.Length);
            if (bias is null) continue;
            for (int i = 0; i < d.Length; i++) bias[i] += d[i];
            SetBias(graph, producer, bias);
            producer.Outputs[0] = add.Outputs[0];
            producer.Fused.Add(add.OpType);
            removed.Add(add);
        }
        graph.Nodes = graph.Nodes.Where(n => !removed.Contains(n)).ToList();
        return graph;
    }

    /// <summary>The producer's bias as one value per output channel (beta applied for Gemm), zeros when it has none; null when it is not a constant of that form.</summary>
    internal static float[]? CurrentBias(Graph graph, Node producer, int channels)
    {
        if (!producer.HasInput(2)) return new float[channels];
        var c = graph.Values[producer.Inputs[2]].Constant;
        if (c is null || c.Type != DataType.Float) return null;
        if (producer.OpType == "Conv") return c.Length == channels ? c.ToFloats() : null;
        // Gemm: C must broadcast along the rows only ([N], [1, N], or a scalar).
        var perColumn = GraphEdit.AlongAxis(c, new[] { 1, channels }, 1);
        if (perColumn is null) return null;
        float beta = producer.Attributes.TryGetValue("beta", out var b) ? b.F : 1f;
        return perColumn.Select(v => v * beta).ToArray();
    }

    /// <summary>Gives the producer a new constant bias of one value per output channel (Gemm: beta becomes 1).</summary>
    internal static void SetBias(Graph graph, Node producer, float[] bias)
    {
        var name = GraphEdit.AddConstant(graph, producer.Name + "_bias", Tensor.FromFloats(new[] { bias.Length }, bias));
        while (producer.Inputs.Count < 3) producer.Inputs.Add("");
        producer.Inputs[2] = name;
        if (producer.OpType == "Gemm")
            producer.Attributes["beta"] = new AttributeProto { Name = "beta", Type = AttributeProto.Types.AttributeType.Float, F = 1f };
    }
}
