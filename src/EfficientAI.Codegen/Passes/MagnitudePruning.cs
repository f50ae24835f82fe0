using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// What pruning asked for (Prune, PruneScope, PruneExclude and PruneStructured item metadata), parsed.
/// Exclude is a .NET regular expression matched (unanchored, case-sensitive) against each Conv/Gemm/MatMul node's
/// name and its weight's value name; null excludes nothing.
/// </summary>
/// <param name="BlockRows">PruneBlock="Rx16": Gemm/MatMul weights are pruned in blocks of R rows by 16 output columns; 0 for element-wise.</param>
internal sealed record PruneSettings(double Sparsity, bool Global, Regex? Exclude, double StructuredFraction, int BlockRows = 0)
{
    public static readonly PruneSettings None = new(0, false, null, 0);

    public bool Unstructured => Sparsity > 0;
    public bool Structured => StructuredFraction > 0;

    public bool Excludes(Node node) =>
        Exclude is not null && (Exclude.IsMatch(node.Name) || (node.Inputs.Count > 1 && Exclude.IsMatch(node.Inputs[1])));
}

/// <summary>What pruning did to one Conv/Gemm/MatMul, for the build report.</summary>
/// <param name="Weights">Elements of the weight after pruning.</param>
/// <param name="Zeros">Its elements that are zero (pruned, or zero already).</param>
/// <param name="Channels">Output channels after structured pruning (or the layer's channels when it was not structurally pruned).</param>
/// <param name="ChannelsRemoved">Output channels structured pruning removed.</param>
/// <param name="Note">Why the layer was left alone or only partly pruned; empty when pruned as asked.</param>
/// <param name="StructuredSkipped">Structured pruning was asked for and left this layer whole (reported as EAI0351).</param>
/// <param name="SparseKernel">The layer runs on a sparse kernel (set by the report from what the emitter chose).</param>
internal sealed record LayerPruning(string Node, string OpType, string Weight, int Weights, int Zeros, int Channels, int ChannelsRemoved, string Note,
    bool StructuredSkipped = false, bool SparseKernel = false)
{
    public double Sparsity => Weights == 0 ? 0 : (double)Zeros / Weights;
}

/// <summary>
/// Prune="0.5": unstructured magnitude pruning. The constant float weights of Conv, Gemm and MatMul get their
/// smallest-magnitude elements set to zero until the target fraction of them is zero: per layer (default: each layer
/// reaches the target) or globally (PruneScope="global": one magnitude threshold across all pruned layers, so
/// layers with small weights lose more). Ties are broken by position (the earlier layer, then the lower index, is pruned
/// first), so the result is deterministic. Biases are not pruned. Runs after BatchNorm folding so the weights pruned are
/// the ones that run, and before int8 quantization so quantization sees the zeros (which it keeps exactly).
/// </summary>
internal static class MagnitudePruning
{
    /// <summary>A prunable layer: its node and its constant float weight (input 1).</summary>
    private sealed record Layer(Node Node, string WeightName, float[] Weights, int[] Shape);

    public static Graph Run(Graph graph, PruneSettings settings)
    {
        if (!settings.Unstructured) return graph;
        var layers = Layers(graph, settings);
        if (settings.Global) PruneGlobally(layers, settings.Sparsity);
        else
            foreach (var layer in layers)
            {
                if (settings.BlockRows > 0 && layer.Node.OpType is "Gemm" or "MatMul" && layer.Shape.Length == 2) PruneBlocks(layer, settings.BlockRows, settings.Sparsity);
                else PruneSmallest(layer.Weights, Count(layer.Weights.Length, settings.Sparsity));
            }
        foreach (var layer in layers)
        {
            // A new constant: the original value may also feed a node that is not pruned.
            layer.Node.Inputs[1] = GraphEdit.AddConstant(graph, layer.WeightName + "_pruned", Tensor.FromFloats(layer.Shape, layer.Weights));
            Record(graph, layer.Node, new LayerPruning(NameOf(layer.Node), layer.Node.OpType, layer.WeightName, layer.Weights.Length,
                layer.Weights.Count(w => w == 0f), ChannelsOf(layer.Node, layer.Shape), 0, ""));
        }
        return graph;
    }

    /// <summary>Elements to zero for a target sparsity: rounded to nearest, so 0.5 of 27 weights prunes 14.</summary>
    private static int Count(int elements, double sparsity) => Math.Min(elements, (int)Math.Round(elements * sparsity, MidpointRounding.AwayFromZero));

    /// <summary>The Conv/Gemm/MatMul nodes with a constant float weight, excluded ones recorded with the reason.</summary>
    private static List<Layer> Layers(Graph graph, PruneSettings settings)
    {
        var layers = new List<Layer>();
        foreach (var node in graph.Nodes)
        {
            if (node.Domain.Length != 0 || node.OpType is not ("Conv" or "Gemm" or "MatMul")) continue;
            var w = node.HasInput(1) ? graph.Values[node.Inputs[1]] : null;
            string weightName = node.HasInput(1) ? node.Inputs[1] : "";
            if (w?.Constant is not { Type: DataType.Float } weight)
            {
                Record(graph, node, new LayerPruning(NameOf(node), node.OpType, weightName, 0, 0, 0, 0, "weights computed at run time"));
                continue;
            }
            if (settings.Excludes(node))
            {
                var values = weight.ToFloats();
                Record(graph, node, new LayerPruning(NameOf(node), node.OpType, weightName, values.Length, values.Count(v => v == 0f),
                    ChannelsOf(node, weight.Shape), 0, "excluded by PruneExclude"));
                continue;
            }
            layers.Add(new Layer(node, weightName, (float[])weight.ToFloats().Clone(), weight.Shape));
        }
        return layers;
    }

    /// <summary>Output channels of a layer's weight: Conv [M, C/g, ...] has M; Gemm and MatMul have the columns of B.</summary>
    internal static int ChannelsOf(Node node, int[] weightShape)
    {
        if (weightShape.Length == 0) return 0;
        if (node.OpType == "Conv") return weightShape[0];
        bool transB = node.OpType == "Gemm" && node.Attributes.TryGetValue("transB", out var t) && t.I != 0;
        return transB ? weightShape[0] : weightShape[weightShape.Length - 1];
    }

    /// <summary>How the report names a layer: its node name, or its output's name in parentheses when the node has none.</summary>
    internal static string NameOf(Node node) => node.Name.Length > 0 || node.Outputs.Count == 0 ? node.Name : "(" + node.Outputs[0] + ")";

    /// <summary>Replaces the layer's record if it has one (structured pruning may have recorded it first), else adds it.</summary>
    internal static void Record(Graph graph, Node node, LayerPruning entry)
    {
        if (!graph.PruningIndex.TryGetValue(node, out int i))
        {
            graph.PruningIndex[node] = graph.Pruning.Count;
            graph.Pruning.Add(entry);
        }
        else
        {
            var before = graph.Pruning[i];
            graph.Pruning[i] = entry with
            {
                Channels = before.ChannelsRemoved > 0 ? before.Channels : entry.Channels,
                ChannelsRemoved = before.ChannelsRemoved,
                Note = string.Join("; ", new[] { before.Note, entry.Note }.Where(n => n.Length > 0).Distinct()),
                StructuredSkipped = before.StructuredSkipped || entry.StructuredSkipped,
            };
        }
    }

    /// <summary>Zeros the <paramref name="count"/> smallest |w|, the lower index first among equals.</summary>
    private static void PruneSmallest(float[] w, int count)
    {
        if (count <= 0) return;
        var order = Enumerable.Range(0, w.Length).ToArray();
        var keys = w.Select(Math.Abs).ToArray();
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        for (int i = 0; i < count; i++) w[order[i]] = 0f;
    }

    /// <summary>
    /// PruneBlock: the weight seen as [k, n] (Gemm's transB weight transposed) is cut into blocks of rows x 16 output columns,
    /// aligned to the kernel's 16-column panels; round(sparsity * blocks) blocks with the smallest mean square become zero
    /// (the lower block index first among equals). Partial blocks at the edges count as blocks of their own size.
    /// </summary>
    private static void PruneBlocks(Layer layer, int rows, double sparsity)
    {
        bool transB = layer.Node.OpType == "Gemm" && layer.Node.Attributes.TryGetValue("transB", out var t) && t.I != 0;
        int k = transB ? layer.Shape[1] : layer.Shape[0], n = transB ? layer.Shape[0] : layer.Shape[1];
        int rowBlocks = (k + rows - 1) / rows, panels = (n + 15) / 16;
        int Index(int p, int j) => transB ? j * k + p : p * n + j;
        var w = layer.Weights;
        var score = new double[rowBlocks * panels];
        for (int rb = 0; rb < rowBlocks; rb++)
            for (int panel = 0; panel < panels; panel++)
            {
                double sum = 0;
                int count = 0;
                for (int p = rb * rows; p < Math.Min(k, rb * rows + rows); p++)
                    for (int j = panel * 16; j < Math.Min(n, panel * 16 + 16); j++, count++) sum += (double)w[Index(p, j)] * w[Index(p, j)];
                score[rb * panels + panel] = sum / Math.Max(1, count);
            }
        var order = Enumerable.Range(0, score.Length).ToArray();
        Array.Sort(order, (a, b) => score[a] != score[b] ? score[a].CompareTo(score[b]) : a.CompareTo(b));
        int pruned = Count(score.Length, sparsity);
        for (int i = 0; i < pruned; i++)
        {
            int rb = order[i] / panels, panel = order[i] % panels;
            for (int p = rb * rows; p < Math.Min(k, rb * rows + rows); p++)
                for (int j = panel * 16; j < Math.Min(n, panel * 16 + 16); j++) w[Index(p, j)] = 0f;
        }
    }

    /// <summary>One ranking over every layer's weights: (|w|, layer order, index).</summary>
    private static void PruneGlobally(List<Layer> layers, double sparsity)
    {
        var all = new List<(float Magnitude, int Layer, int Index)>();
        for (int l = 0; l < layers.Count; l++)
            for (int i = 0; i < layers[l].Weights.Length; i++) all.Add((Math.Abs(layers[l].Weights[i]), l, i));
        all.Sort((a, b) => a.Magnitude != b.Magnitude ? a.Magnitude.CompareTo(b.Magnitude) : a.Layer != b.Layer ? a.Layer.CompareTo(b.Layer) : a.Index.CompareTo(b.Index));
        int count = Count(all.Count, sparsity);
        for (int i = 0; i < count; i++) layers[all[i].Layer].Weights[all[i].Index] = 0f;
    }
}
