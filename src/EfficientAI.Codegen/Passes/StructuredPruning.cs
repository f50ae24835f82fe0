using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// PruneStructured="0.25": removes whole output channels (Conv filters, Gemm/MatMul weight columns) with the smallest
/// L2 norms, floor(fraction * channels) per layer, ties by index, and shrinks everything that reads them so tensors really
/// get smaller: the producer's weights and bias, per-channel parameters on the way (BatchNormalization, Add/Mul/Sub/Div by a
/// per-channel constant), shapes through channel-preserving ops (activations, pools, Flatten), and the input channels of
/// the consumer layer (Conv weights' input channels, Gemm/MatMul weight rows, in blocks of the flattened spatial size
/// after a Flatten). A layer whose output reaches anything else (a graph output, a residual Add of two tensors, Concat,
/// Reshape, a grouped Conv...) is left whole, and the report and an Info diagnostic (EAI0351) say why.
/// </summary>
internal static class StructuredPruning
{
    private static readonly HashSet<string> s_channelwise = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "Softplus", "Softsign",
        "Gelu", "Clip", "Identity", "Dropout", "Abs", "Neg", "Mish", "Exp", "Sqrt", "Erf", "ThresholdedRelu",
    };

    private static readonly HashSet<string> s_pools = new(StringComparer.Ordinal) { "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool" };

    /// <summary>One change that removing channels implies, found before anything changes.</summary>
    private abstract record Step;

    /// <summary>A value whose axis holds the channels (times block elements each, after a Flatten).</summary>
    private sealed record ShapeStep(string Value, int Axis, int Block) : Step;

    /// <summary>A constant input of a node indexed by channel along an axis (a BatchNormalization parameter, a per-channel scale).</summary>
    private sealed record ParamStep(Node Node, int Input, int Axis) : Step;

    /// <summary>A consumer layer whose weight's input axis (in blocks of Block elements per channel) shrinks.</summary>
    private sealed record ConsumerStep(Node Node, int Axis, int Block) : Step;

    public static Graph Run(Graph graph, PruneSettings settings)
    {
        if (!settings.Structured) return graph;
        var consumers = graph.Consumers();
        // The weights' names as the model has them (a consumer's weight is replaced by a shrunk copy before its turn comes).
        var originalWeight = graph.Nodes.Where(n => n.HasInput(1)).ToDictionary(n => n, n => n.Inputs[1]);
        foreach (var node in graph.Nodes.ToList())
        {
            if (node.Domain.Length != 0 || node.OpType is not ("Conv" or "Gemm" or "MatMul") || node.Guards.Count > 0) continue;
            var weight = node.HasInput(1) ? graph.Values[node.Inputs[1]].Constant : null;
            string weightName = node.HasInput(1) ? originalWeight[node] : "";
            if (weight is not { Type: DataType.Float }) { Skip(graph, node, weightName, "its weights are computed at run time"); continue; }
            if (settings.Excludes(node)) { MagnitudePruning.Record(graph, node, Entry(node, weightName, weight, 0, "excluded by PruneExclude")); continue; }
            var (outAxis, refusal) = ProducerAxis(graph, node, weight);
            int channels = MagnitudePruning.ChannelsOf(node, weight.Shape);
            int remove = Math.Min(channels - 1, (int)Math.Floor(channels * settings.StructuredFraction + 1e-9));
            if (refusal is null && remove <= 0) refusal = $"{channels} output channels: {settings.StructuredFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)} of them rounds down to none";
            var steps = new List<Step>();
            var output = graph.Values[node.Outputs[0]];
            refusal ??= Follow(graph, consumers, node.Outputs[0], output.RequireShape.Length == 0 ? 0 : outAxis < 0 ? output.RequireShape.Length - 1 : outAxis, 1, false, steps, 0);
            if (refusal is not null) { Skip(graph, node, weightName, refusal); continue; }

            var keep = Kept(node, weight, channels, remove);
            Shrink(graph, node, 1, WeightChannelAxis(node), keep, 1);
            if (node.HasInput(2)) ShrinkBias(graph, node, keep, channels);
            foreach (var step in steps)
                switch (step)
                {
                    case ShapeStep s:
                        var shape = (int[])graph.Values[s.Value].RequireShape.Clone();
                        shape[s.Axis] = keep.Length * s.Block;
                        graph.Values[s.Value].Shape = shape;
                        break;
                    case ParamStep p:
                        Shrink(graph, p.Node, p.Input, p.Axis, keep, 1);
                        break;
                    case ConsumerStep c:
                        Shrink(graph, c.Node, 1, c.Axis, keep, c.Block);
                        break;
                }
            var shrunk = graph.Values[node.Inputs[1]].Constant!;
            MagnitudePruning.Record(graph, node, Entry(node, weightName, shrunk, remove, ""));
        }
        // Consumers lost weights too: refresh every record's counts from the weights as they are now.
        foreach (var entry in graph.PruningIndex)
        {
            var (node, i) = (entry.Key, entry.Value);
            if (node.HasInput(1) && graph.Values[node.Inputs[1]].Constant is { Type: DataType.Float } w)
                graph.Pruning[i] = graph.Pruning[i] with { Weights = w.Length, Zeros = w.ToFloats().Count(v => v == 0f) };
        }
        return graph;
    }

    private static LayerPruning Entry(Node node, string weightName, Tensor w, int removed, string note)
    {
        int channels = MagnitudePruning.ChannelsOf(node, w.Shape);
        return new LayerPruning(MagnitudePruning.NameOf(node), node.OpType, weightName, w.Length, w.ToFloats().Count(v => v == 0f), channels, removed, note);
    }

    private static void Skip(Graph graph, Node node, string weightName, string reason)
    {
        var w = node.HasInput(1) ? graph.Values[node.Inputs[1]].Constant : null;
        var entry = w is { Type: DataType.Float } ? Entry(node, weightName, w, 0, "structured: " + reason)
            : new LayerPruning(MagnitudePruning.NameOf(node), node.OpType, weightName, 0, 0, 0, 0, "structured: " + reason);
        MagnitudePruning.Record(graph, node, entry with { StructuredSkipped = true });
    }

    /// <summary>The axis of the weight that indexes output channels: Conv 0; Gemm 0 with transB else 1; MatMul 1.</summary>
    private static int WeightChannelAxis(Node node) =>
        node.OpType == "Conv" ? 0 : node.OpType == "Gemm" && Attr(node, "transB") != 0 ? 0 : 1;

    private static long Attr(Node node, string name, long fallback = 0) => node.Attributes.TryGetValue(name, out var a) ? a.I : fallback;

    /// <summary>The output's channel axis (-1: the last), or why this producer cannot lose channels.</summary>
    private static (int Axis, string? Refusal) ProducerAxis(Graph graph, Node node, Tensor weight)
    {
        switch (node.OpType)
        {
            case "Conv":
                if (Attr(node, "group", 1) != 1) return (1, "a grouped or depthwise Conv (its channels are tied to its input's)");
                if (node.HasInput(2) && graph.Values[node.Inputs[2]].Constant is null) return (1, "its bias is computed at run time");
                return (1, null);
            case "Gemm":
                if (Attr(node, "transA") != 0) return (-1, "Gemm with transA");
                if (node.HasInput(2))
                {
                    var c = graph.Values[node.Inputs[2]].Constant;
                    if (c is null) return (-1, "its C is computed at run time");
                }
                return (-1, null);
            default:
                if (weight.Shape.Length != 2) return (-1, "a MatMul weight that is not a matrix");
                return (-1, null);
        }
    }

    /// <summary>
    /// Walks every reader of <paramref name="value"/> (whose <paramref name="axis"/> holds the channels, block elements
    /// each) and lists what removing channels changes; returns why it cannot, or null.
    /// </summary>
    private static string? Follow(Graph graph, Dictionary<string, List<Node>> consumers, string value, int axis, int block, bool flattened, List<Step> steps, int depth)
    {
        if (depth > 64) return "the chain of channel-wise ops after it is too long";
        if (graph.Outputs.Contains(value)) return $"'{value}' is a graph output";
        steps.Add(new ShapeStep(value, axis, block));
        if (!consumers.TryGetValue(value, out var users)) return null;
        int rank = graph.Values[value].RequireShape.Length;
        foreach (var user in users)
        {
            string? Refuse(string why) => $"it feeds {user.Display}, {why}";
            if (user.Domain.Length != 0 || user.Guards.Count > 0) return Refuse("which structured pruning does not follow");
            if (user.Inputs.Count(i => i == value) != 1) return Refuse("which reads it twice");
            bool first = user.Inputs[0] == value;
            var op = user.OpType;
            if (s_channelwise.Contains(op))
            {
                if (!first || user.Inputs.Skip(1).Any(i => i.Length > 0 && graph.Values[i].Constant is not { Length: 1 })) return Refuse("whose parameters are not scalar constants");
                if (user.Outputs.Skip(1).Any(o => o.Length > 0)) return Refuse("whose second output is used");
                if (Follow(graph, consumers, user.Outputs[0], axis, block, flattened, steps, depth + 1) is { } why) return why;
                continue;
            }
            if (s_pools.Contains(op))
            {
                if (flattened || axis != 1) return Refuse("a pool over an axis other than the channels'");
                if (user.Outputs.Skip(1).Any(o => o.Length > 0)) return Refuse("whose indices output is used");
                if (Follow(graph, consumers, user.Outputs[0], axis, block, flattened, steps, depth + 1) is { } why) return why;
                continue;
            }
            switch (op)
            {
                case "BatchNormalization":
                    if (flattened || axis != 1 || !first || user.Outputs.Skip(1).Any(o => o.Length > 0)) return Refuse("not in inference form over the channels");
                    for (int i = 1; i <= 4; i++)
                    {
                        if (!user.HasInput(i) || graph.Values[user.Inputs[i]].Constant is null) return Refuse("whose parameters are computed at run time");
                        steps.Add(new ParamStep(user, i, 0));
                    }
                    if (Follow(graph, consumers, user.Outputs[0], axis, block, flattened, steps, depth + 1) is { } bnWhy) return bnWhy;
                    continue;
                case "Add" or "Sub" or "Mul" or "Div":
                {
                    if (block != 1) return Refuse("after a Flatten");
                    int other = first ? 1 : 0;
                    var c = graph.Values[user.Inputs[other]].Constant;
                    if (c is null) return Refuse("which combines it with a tensor computed at run time (a residual connection)");
                    var outShape = graph.Values[user.Outputs[0]].RequireShape;
                    if (outShape.Length != rank || c.Shape.Length > rank) return Refuse("which broadcasts it to another shape");
                    if (c.Length != 1)
                    {
                        if (GraphEdit.AlongAxis(c, graph.Values[value].RequireShape, axis) is null) return Refuse("whose constant varies along other axes than the channels");
                        int constAxis = axis - (rank - c.Shape.Length);
                        if (constAxis < 0 || c.Shape[constAxis] == 1)
                            return Refuse("whose constant is the same for every channel but not a scalar");
                        steps.Add(new ParamStep(user, other, constAxis));
                    }
                    if (Follow(graph, consumers, user.Outputs[0], axis, block, flattened, steps, depth + 1) is { } why) return why;
                    continue;
                }
                case "Flatten":
                {
                    if (flattened || axis != 1 || Attr(user, "axis", 1) != 1) return Refuse("which does not flatten after the channel axis");
                    var shape = graph.Values[value].RequireShape;
                    int inner = 1;
                    for (int d = 2; d < shape.Length; d++) inner *= shape[d];
                    if (Follow(graph, consumers, user.Outputs[0], 1, inner, true, steps, depth + 1) is { } why) return why;
                    continue;
                }
                case "Conv":
                    if (!first || flattened || axis != 1 || Attr(user, "group", 1) != 1 || graph.Values[user.Inputs[1]].Constant is not { Type: DataType.Float })
                        return Refuse("a grouped Conv or one whose weights are computed at run time");
                    steps.Add(new ConsumerStep(user, 1, 1));
                    continue;
                case "Gemm":
                    if (!first || Attr(user, "transA") != 0 || axis != rank - 1 || graph.Values[user.Inputs[1]].Constant is not { Type: DataType.Float })
                        return Refuse("a Gemm with transA or weights computed at run time");
                    steps.Add(new ConsumerStep(user, Attr(user, "transB") != 0 ? 1 : 0, block));
                    continue;
                case "MatMul":
                    if (!first || axis != rank - 1 || graph.Values[user.Inputs[1]].Constant is not { Type: DataType.Float, Shape.Length: 2 })
                        return Refuse("a MatMul whose weights are not a constant matrix");
                    steps.Add(new ConsumerStep(user, 0, block));
                    continue;
                default:
                    return Refuse("whose input channels structured pruning cannot shrink");
            }
        }
        return null;
    }

    /// <summary>The channels kept, in order: all but the <paramref name="remove"/> with the smallest L2 norms (lower index first among equals).</summary>
    private static int[] Kept(Node node, Tensor weight, int channels, int remove)
    {
        var w = weight.ToFloats();
        int axis = WeightChannelAxis(node);
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= weight.Shape[d];
        for (int d = axis + 1; d < weight.Shape.Length; d++) inner *= weight.Shape[d];
        var norms = new double[channels];
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < inner; i++)
                {
                    double v = w[(o * channels + c) * inner + i];
                    norms[c] += v * v;
                }
        var removed = new HashSet<int>(Enumerable.Range(0, channels).OrderBy(c => norms[c]).ThenBy(c => c).Take(remove));
        return Enumerable.Range(0, channels).Where(c => !removed.Contains(c)).ToArray();
    }

    /// <summary>Replaces a node's constant input by its slices along axis for the kept channels (block elements per channel).</summary>
    private static void Shrink(Graph graph, Node node, int input, int axis, int[] keep, int block)
    {
        var t = graph.Values[node.Inputs[input]].Constant!;
        var index = new List<int>(keep.Length * block);
        foreach (var c in keep)
            for (int s = 0; s < block; s++) index.Add(c * block + s);
        var shape = (int[])t.Shape.Clone();
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
        int along = shape[axis];
        shape[axis] = index.Count;
        var result = Tensor.Create(t.Type, shape);
        int at = 0;
        for (int o = 0; o < outer; o++)
            foreach (var i in index)
                for (int e = 0; e < inner; e++) result.Set(at++, t.GetDouble((o * along + i) * inner + e));
        node.Inputs[input] = GraphEdit.AddConstant(graph, node.Inputs[input] + "_shrunk", result);
    }

    /// <summary>Conv's bias [M], Gemm's C (one value, or one per column, or [m, n]) after the producer lost channels.</summary>
    private static void ShrinkBias(Graph graph, Node node, int[] keep, int channels)
    {
        var c = graph.Values[node.Inputs[2]].Constant!;
        if (c.Length == 1 || c.Shape.Length == 0 || c.Shape[c.Shape.Length - 1] != channels) return; // the same for every channel
        Shrink(graph, node, 2, c.Shape.Length - 1, keep, 1);
    }
}
