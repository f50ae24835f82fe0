using System.Collections.Generic;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Ir;

/// <summary>A named tensor of the graph: a graph input, a constant, or a node output.</summary>
internal sealed class Value
{
    public Value(string name) => Name = name;

    public string Name { get; }
    public DataType Type { get; set; }
    /// <summary>Static shape, null until shape inference has reached this value.</summary>
    public int[]? Shape { get; set; }
    /// <summary>Set when the value is known at compile time (initializer, Constant node or folded node).</summary>
    public Tensor? Constant { get; set; }
    /// <summary>
    /// Float16 or BFloat16 when this float value stands for a tensor of that ONNX type: it is computed in float and
    /// rounded to that precision by the op that writes it. Undefined for every other value.
    /// </summary>
    public DataType Precision { get; set; }

    public bool IsKnown => Shape is not null;
    public int[] RequireShape => Shape ?? throw new System.InvalidOperationException($"shape of '{Name}' is not known yet");
}

/// <summary>One ONNX node. Missing optional inputs are empty strings, as in ONNX.</summary>
internal sealed class Node
{
    public Node(string opType, string domain, string name, int opset)
    {
        OpType = opType;
        Domain = domain;
        Name = name;
        Opset = opset;
    }

    public string OpType { get; set; }
    public string Domain { get; set; }
    public string Name { get; set; }
    /// <summary>The opset version of the node's domain the model imports.</summary>
    public int Opset { get; set; }
    public List<string> Inputs { get; } = new();
    public List<string> Outputs { get; } = new();
    public Dictionary<string, AttributeProto> Attributes { get; } = new();

    /// <summary>Fused post-ops (activation epilogues), recorded for the report.</summary>
    public List<string> Fused { get; } = new();

    /// <summary>The activation the op's emit applies to output 0 after its kernel (set by ActivationFusion), or null.</summary>
    public FusedActivation? Activation { get; set; }

    /// <summary>
    /// Conv only: input 0 is [N, H, W, C] rather than [N, C, H, W] (ChannelsLastConvInput removed the Transpose
    /// that converted it); the kernel's im2col gathers from that layout.
    /// </summary>
    public bool ChannelsLastInput { get; set; }

    /// <summary>Graph-valued attributes (If branches, Loop/Scan bodies) by attribute name.</summary>
    public Dictionary<string, Subgraph> Subgraphs { get; } = new();

    /// <summary>
    /// Conditions under which the node runs (all must hold): set when a run-time If's branch is inlined into the
    /// enclosing graph. Empty for unconditional nodes.
    /// </summary>
    public List<Guard> Guards { get; set; } = new();

    /// <summary>"Conv 'conv1'": how messages name a node.</summary>
    public string Display => string.IsNullOrEmpty(Name) ? OpType : $"{OpType} '{Name}'";

    public bool HasInput(int i) => i < Inputs.Count && Inputs[i].Length > 0;
}

/// <summary>A node runs only when the single bool element of <see cref="Condition"/> equals <see cref="When"/>.</summary>
internal sealed record Guard(string Condition, bool When);

/// <summary>
/// A graph-valued attribute. Its local names are made unique across the model at import, so its nodes read
/// outer-scope values by name and share the model graph's value table; inlining it is moving its nodes.
/// </summary>
internal sealed class Subgraph
{
    public List<string> Inputs { get; } = new();
    public List<Node> Nodes { get; } = new();
    public List<string> Outputs { get; } = new();
}

/// <summary>A computation graph with static shapes. Nodes are kept in topological order.</summary>
internal sealed class Graph
{
    public List<Node> Nodes { get; set; } = new();
    public Dictionary<string, Value> Values { get; } = new();
    public List<string> Inputs { get; } = new();
    public List<string> Outputs { get; } = new();
    /// <summary>Imported opset version per domain ("" is the default ONNX domain).</summary>
    public Dictionary<string, int> Opsets { get; } = new();
    /// <summary>Threads the large kernels may share (the Threads option; 1: the calling thread only).</summary>
    public int Threads { get; set; } = 1;
    /// <summary>Per Conv/Gemm/MatMul, what int8 quantization did (empty without Quantize="int8"), for the report.</summary>
    public List<Passes.LayerQuantization> Quantization { get; } = new();
    /// <summary>Per Conv/Gemm/MatMul, what pruning did (empty without Prune/PruneStructured), for the report.</summary>
    public List<Passes.LayerPruning> Pruning { get; } = new();
    /// <summary>Where each pruned node's record is in <see cref="Pruning"/> (node names may be empty or repeat).</summary>
    public Dictionary<Node, int> PruningIndex { get; } = new();
    /// <summary>Nodes the emitter put on a sparse kernel (pruned weights mostly zero), with their nonzero weights, for the report.</summary>
    public Dictionary<Node, int> SparseKernels { get; } = new();
    /// <summary>Info diagnostics from the passes (descriptor id, message naming the node), reported with the compile.</summary>
    public List<(string Id, string Message)> Notes { get; } = new();

    /// <summary>
    /// Sequence values resolved at compile time: each is the ordered list of its element tensors' names (the
    /// sequence ops expand into tensor nodes and update this map; no sequence exists at run time).
    /// </summary>
    public Dictionary<string, List<string>> Sequences { get; } = new();

    public Value Value(string name)
    {
        if (!Values.TryGetValue(name, out var v)) Values[name] = v = new Value(name);
        return v;
    }

    /// <summary>Map from value name to the nodes that read it.</summary>
    public Dictionary<string, List<Node>> Consumers()
    {
        var map = new Dictionary<string, List<Node>>();
        foreach (var n in Nodes)
            foreach (var i in n.Inputs)
            {
                if (i.Length == 0) continue;
                if (!map.TryGetValue(i, out var l)) map[i] = l = new List<Node>();
                l.Add(n);
            }
        return map;
    }

    /// <summary>Every node, including those inside subgraphs (depth first).</summary>
    public IEnumerable<Node> AllNodes() => Walk(Nodes);

    private static IEnumerable<Node> Walk(IEnumerable<Node> nodes)
    {
        foreach (var n in nodes)
        {
            yield return n;
            foreach (var sub in n.Subgraphs.Values)
                foreach (var inner in Walk(sub.Nodes)) yield return inner;
        }
    }

    public Dictionary<string, Node> Producers()
    {
        var map = new Dictionary<string, Node>();
        foreach (var n in Nodes)
            foreach (var o in n.Outputs)
                if (o.Length > 0) map[o] = n;
        return map;
    }
}
