using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// Conv followed by BatchNormalization (inference) becomes one Conv with rewritten weights:
/// W'[oc] = W[oc] * scale[oc], B'[oc] = B[oc] * scale[oc] + bias[oc], with scale and bias folded from the BN parameters.
/// </summary>
internal static class ConvBatchNormFusion
{
    public static Graph Run(Graph graph)
    {
        var consumers = graph.Consumers();
        var producers = GraphEdit.ProducerMap(graph);
        var removed = new HashSet<Node>();
        foreach (var bn in graph.Nodes.Where(n => n.OpType == "BatchNormalization" && n.Domain.Length == 0).ToList())
        {
            if (!producers.TryGetValue(bn.Inputs[0], out var conv) || conv.OpType != "Conv" || conv.Domain.Length != 0 || removed.Contains(conv)) continue;
            if (!GraphEdit.HasSingleInternalConsumer(graph, consumers, bn.Inputs[0]) || bn.Outputs.Skip(1).Any(o => o.Length > 0)) continue;
            var ctx = new OpContext(graph, bn);
            if (BatchNormalizationOp.Training(ctx) || Enumerable.Range(1, 4).Any(i => ctx.Const(i) is null)) continue;
            var w = graph.Values[conv.Inputs[1]].Constant;
            var b = conv.HasInput(2) ? graph.Values[conv.Inputs[2]].Constant : null;
            if (w is null || w.Type != DataType.Float || (conv.HasInput(2) && b is null)) continue;

            var (scale, bias) = BatchNormalizationOp.Fold(ctx);
            int m = w.Shape[0];
            if (scale.Length != m) continue;
            var weights = w.ToFloats();
            var fused = new float[weights.Length];
            int block = weights.Length / m;
            for (int oc = 0; oc < m; oc++)
                for (int i = 0; i < block; i++) fused[oc * block + i] = weights[oc * block + i] * scale[oc];
            var oldBias = b?.ToFloats() ?? new float[m];
            var newBias = new float[m];
            for (int oc = 0; oc < m; oc++) newBias[oc] = oldBias[oc] * scale[oc] + bias[oc];

            conv.Inputs[1] = GraphEdit.AddConstant(graph, conv.Inputs[1] + "_bn", Tensor.FromFloats(w.Shape, fused));
            var biasName = GraphEdit.AddConstant(graph, (b is null ? conv.Name + "_bias" : conv.Inputs[2]) + "_bn", Tensor.FromFloats(new[] { m }, newBias));
            while (conv.Inputs.Count < 3) conv.Inputs.Add("");
            conv.Inputs[2] = biasName;
            conv.Outputs[0] = bn.Outputs[0];
            conv.Fused.Add("BatchNormalization");
            removed.Add(bn);
        }
        graph.Nodes = graph.Nodes.Where(n => !removed.Contains(n)).ToList();
        return graph;
    }
}
