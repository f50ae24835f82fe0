using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// A 1x1 unit-stride unpadded Conv of one group (NCHW, constant float weights, at most 256 input channels), or a Conv
/// whose own kernel takes a residual (ConvOp.TakesResidual: im2col + packed GEMM), whose only reader is
/// Add(conv, residual), the residual a computed tensor of the same shape, becomes one Conv whose fourth input is the
/// residual; an activation after the Add (as ActivationFusion takes them) joins it as its epilogue. Conv.Pointwise
/// adds the residual and activates each tile before storing it, the packed GEMM starts its first k block from it:
/// a residual block's Conv -> Add -> Relu is one pass over memory instead of three (ResNet's 14x14 blocks and
/// downsampling shortcuts). Runs after quantization (an int8 Conv stays as it is) and after ChannelsLastConvInput;
/// left alone: a Conv with an activation of its own, a residual that broadcasts, a constant one (BiasAddFusion's),
/// the Winograd, few-pixel, direct, depthwise and pruned kernels, and, with Threads, a 1x1 Conv large enough to be
/// shared.
/// </summary>
internal static class ResidualAddFusion
{
    private static readonly HashSet<string> s_activations = new() { "Relu", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Sigmoid", "Tanh", "Gelu" };

    // Input channels up to which Conv.Pointwise (no k blocking) streams its input rows from L1: 256 rows of two vectors.
    private const int MaxChannels = 256;

    public static Graph Run(Graph graph)
    {
        var consumers = graph.Consumers();
        var removed = new HashSet<Node>();
        // The fused Conv runs where the Add ran: the residual may be computed after the Conv (BlazeFace's channel
        // padding can be), and nothing between them reads the Conv's output.
        var movedTo = new Dictionary<Node, Node>();
        var producers = GraphEdit.ProducerMap(graph);
        foreach (var conv in graph.Nodes.ToList())
        {
            if (conv.OpType != "Conv" || conv.Domain.Length != 0 || conv.Activation is not null || conv.Inputs.Count > 3 || conv.Outputs.Count != 1) continue;
            if (!Pointwise(graph, conv) && !(conv.HasInput(1) && ConvOp.TakesResidual(new OpContext(graph, conv)))) continue;
            var add = GraphEdit.SoleReader(graph, consumers, conv.Outputs[0], conv);
            // An Add of two Convs' outputs takes the first of them only (the other is its residual).
            if (add is null || add.OpType != "Add" || add.Domain.Length != 0 || add.Outputs.Count != 1 || movedTo.ContainsKey(add)) continue;
            int other = GraphEdit.OtherInput(add, conv.Outputs[0]);
            if (other < 0) continue;
            var residual = graph.Values[add.Inputs[other]];
            var output = graph.Values[conv.Outputs[0]];
            if (residual.Constant is not null || residual.Type != DataType.Float || graph.Values[add.Outputs[0]].Type != DataType.Float) continue;
            if (residual.Shape is null || !residual.Shape.SequenceEqual(output.RequireShape)) continue;
            // The output may take the residual's memory (ConvOp.InPlaceInput), so the input must not be that memory.
            if (Storage(producers, residual.Name) == Storage(producers, conv.Inputs[0])) continue;
            while (conv.Inputs.Count < 3) conv.Inputs.Add("");
            conv.Inputs.Add(residual.Name);
            conv.Outputs[0] = add.Outputs[0];
            conv.Fused.Add("Add");
            movedTo[add] = conv;
            removed.Add(conv);
            var act = GraphEdit.SoleReader(graph, consumers, add.Outputs[0], add);
            if (act is null || act.Domain.Length != 0 || !s_activations.Contains(act.OpType) || act.Inputs[0] != add.Outputs[0]) continue;
            if (graph.Values[act.Outputs[0]].Type != DataType.Float) continue;
            var op = (UnaryOperator)OperatorRegistry.Find("", act.OpType)!;
            var (kernel, alpha, beta) = op.Activation(new OpContext(graph, act));
            conv.Activation = new FusedActivation(kernel, alpha, beta);
            conv.Outputs[0] = act.Outputs[0];
            conv.Fused.Add(kernel == "Clip" && alpha == 0f && beta == 6f ? "Relu6" : act.OpType);
            removed.Add(act);
        }
        graph.Nodes = graph.Nodes.Where(n => !removed.Contains(n)).Select(n => movedTo.TryGetValue(n, out var conv) ? conv : n).ToList();
        return graph;
    }

    /// <summary>The value whose memory a value is (views read their input's).</summary>
    private static string Storage(Dictionary<string, Node> producers, string value)
    {
        while (producers.TryGetValue(value, out var p) && p.Inputs.Count > 0 && OperatorRegistry.Find(p.Domain, p.OpType) is { IsView: true }) value = p.Inputs[0];
        return value;
    }

    /// <summary>A 1x1 Conv that is a GEMM on its input as stored: one group, unit strides, no padding, constant float weights.</summary>
    private static bool Pointwise(Graph graph, Node conv)
    {
        if (conv.ChannelsLastInput || !conv.HasInput(1)) return false;
        var x = graph.Values[conv.Inputs[0]];
        var w = graph.Values[conv.Inputs[1]];
        if (x.Shape is not { Length: 3 or 4 } xs || w.Constant is not { Type: DataType.Float } || x.Type != DataType.Float) return false;
        var ws = w.RequireShape;
        if (ws.Skip(2).Any(k => k != 1) || ws[1] != xs[1] || ws[1] > MaxChannels) return false;
        if (conv.HasInput(2) && graph.Values[conv.Inputs[2]].Constant is null) return false;
        var ctx = new OpContext(graph, conv);
        if (ctx.Int("group", 1) != 1) return false;
        var window = Window.Resolve(ctx, xs.Skip(2).ToArray(), ws.Skip(2).ToArray());
        if (window.Strides.Any(s => s != 1) || window.PadBegin.Any(p => p != 0) || !window.Output.SequenceEqual(xs.Skip(2))) return false;
        long macs = (long)Shape.Elements(graph.Values[conv.Outputs[0]].RequireShape) * ws[1];
        return graph.Threads <= 1 || macs < ConvOp.ParallelMinMacsWithResidual; // a shared Conv does not run Conv.Pointwise
    }
}
