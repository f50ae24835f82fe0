using System;
using System.Collections.Generic;
using System.Threading;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// Runs a graph at compile time on given input values, one sample at a time, with each op's own TryEvaluate (the
/// code constant folding uses) plus the activations ActivationFusion moved into Conv/Gemm/MatMul. It works on a copy
/// of the value table, so the graph itself is not changed. For calibration: the float graph on calibration samples.
/// </summary>
internal sealed class FloatInterpreter
{
    private readonly Graph _graph;
    private readonly Graph _scratch = new();
    private readonly List<Value> _computed = new();

    public FloatInterpreter(Graph graph)
    {
        _graph = graph;
        foreach (var v in graph.Values.Values)
        {
            var copy = _scratch.Value(v.Name);
            copy.Type = v.Type;
            copy.Shape = v.Shape;
            copy.Constant = v.Constant;
            copy.Precision = v.Precision;
            if (v.Constant is null) _computed.Add(copy);
        }
        foreach (var kv in graph.Opsets) _scratch.Opsets[kv.Key] = kv.Value;
    }

    /// <summary>The nodes the last run could not evaluate (ops without compile-time evaluation), in graph order.</summary>
    public List<Node> Unevaluated { get; } = new();

    /// <summary>
    /// Evaluates every node on the inputs; after each evaluated node calls <paramref name="after"/> with the node and a
    /// context whose inputs and outputs hold this sample's values. Nodes downstream of one that cannot be evaluated are
    /// skipped (their values stay unknown: <see cref="Value.Constant"/> null).
    /// </summary>
    public void Run(IReadOnlyDictionary<string, float[]> inputs, Action<Node, OpContext>? after, CancellationToken ct)
    {
        foreach (var v in _computed) v.Constant = null;
        foreach (var kv in inputs) _scratch.Values[kv.Key].Constant = Tensor.FromFloats(_scratch.Values[kv.Key].RequireShape, kv.Value);
        Unevaluated.Clear();
        foreach (var node in _graph.Nodes)
        {
            ct.ThrowIfCancellationRequested();
            var ctx = new OpContext(_scratch, node);
            if (!Runs(node) || !ctx.AllInputsConstant) continue;
            if (!Evaluate(node, ctx))
            {
                Unevaluated.Add(node);
                continue;
            }
            after?.Invoke(node, ctx);
        }
    }

    /// <summary>
    /// Evaluates a node in this interpreter's scratch table with some inputs replaced (e.g. by their quantized
    /// values), without touching the value table of the run; returns output 0 or null when it cannot be evaluated.
    /// </summary>
    public float[]? EvaluateWith(Node node, IReadOnlyDictionary<int, Tensor> replaced)
    {
        var probe = new Node(node.OpType, node.Domain, node.Name, node.Opset) { Activation = node.Activation };
        for (int i = 0; i < node.Inputs.Count; i++)
        {
            if (!replaced.TryGetValue(i, out var t))
            {
                probe.Inputs.Add(node.Inputs[i]);
                continue;
            }
            var name = "\u0001probe_in" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var v = _scratch.Value(name);
            v.Type = t.Type;
            v.Shape = t.Shape;
            v.Constant = t;
            probe.Inputs.Add(name);
        }
        probe.Outputs.Add("\u0001probe_out");
        foreach (var a in node.Attributes) probe.Attributes[a.Key] = a.Value;
        var ctx = new OpContext(_scratch, probe);
        var output = _scratch.Value("\u0001probe_out");
        output.Type = DataType.Float;
        output.Shape = _scratch.Values[node.Outputs[0]].Shape;
        output.Constant = null;
        return Evaluate(probe, ctx) ? output.Constant!.ToFloats() : null;
    }

    /// <summary>True when the node's guards (a run-time If's branch) hold on this sample's values.</summary>
    private bool Runs(Node node)
    {
        foreach (var g in node.Guards)
            if (!_scratch.Values.TryGetValue(g.Condition, out var c) || c.Constant is not { Length: 1 } t || (t.GetDouble(0) != 0) != g.When)
                return false;
        return true;
    }

    private static bool Evaluate(Node node, OpContext ctx)
    {
        var op = OperatorRegistry.Find(node.Domain, node.OpType);
        if (op is null) return false;
        try
        {
            if (!op.TryEvaluate(ctx)) return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false; // an op whose evaluation refuses these values: the values it would produce stay unknown
        }
        if (node.Activation is { } activation && ctx.Output(0).Constant is { Data: float[] } y)
            ctx.SetConst(0, Tensor.FromFloats(y.Shape, UnaryOperator.ApplyFused(activation, y.ToFloats())));
        return true;
    }
}
