using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// Conv, Gemm or MatMul followed by an activation (Relu, Clip/Relu6, LeakyRelu, HardSigmoid, HardSwish, Sigmoid,
/// Tanh, Gelu) becomes one node whose emit applies the activation to its output right after the kernel (an epilogue):
/// one node, one write of the output. Only when the producer's output has no other reader and is not a graph output
/// (a Reshape between them may stay: the activation moves before it).
/// </summary>
internal static class ActivationFusion
{
    private static readonly HashSet<string> s_producers = new() { "Conv", "Gemm", "MatMul" };
    private static readonly HashSet<string> s_activations = new() { "Relu", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Sigmoid", "Tanh", "Gelu" };

    public static Graph Run(Graph graph)
    {
        var consumers = graph.Consumers();
        var removed = new HashSet<Node>();
        foreach (var producer in graph.Nodes.Where(n => n.Domain.Length == 0 && s_producers.Contains(n.OpType)).ToList())
        {
            if (producer.Activation is not null || producer.Outputs.Count != 1) continue;
            var act = GraphEdit.SoleReader(graph, consumers, producer.Outputs[0], producer);
            // An element-wise activation commutes with a Reshape between them (MatMulAddToGemm's row view).
            var view = act is { OpType: "Reshape", Domain: "" } ? act : null;
            if (view is not null) act = GraphEdit.SoleReader(graph, consumers, view.Outputs[0], view);
            if (act is null || act.Domain.Length != 0 || !s_activations.Contains(act.OpType) || act.Inputs[0] != (view ?? producer).Outputs[0]) continue;
            if (graph.Values[act.Inputs[0]].Type != DataType.Float || graph.Values[act.Outputs[0]].Type != DataType.Float) continue;
            var op = (UnaryOperator)OperatorRegistry.Find("", act.OpType)!;
            var (kernel, alpha, beta) = op.Activation(new OpContext(graph, act));
            producer.Activation = new FusedActivation(kernel, alpha, beta);
            (view ?? producer).Outputs[0] = act.Outputs[0];
            producer.Fused.Add(kernel == "Clip" && alpha == 0f && beta == 6f ? "Relu6" : act.OpType);
            removed.Add(act);
        }
        graph.Nodes = graph.Nodes.Where(n => !removed.Contains(n)).ToList();
        return graph;
    }
}
