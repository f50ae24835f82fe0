using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// An op that always expands into other nodes before shape inference (sequence ops, Loop and Scan unrolled at compile
/// time), with the helpers to build those nodes: new nodes, model-unique value names, int64 constants, and copies of a
/// subgraph body under fresh names.
/// </summary>
internal abstract class ExpandingOperator : Operator
{
    public abstract override IReadOnlyList<Node> Expand(OpContext ctx);

    public override void Infer(OpContext ctx) => throw ctx.Fail($"{OpType} is expanded before shape inference");

    public override void Emit(EmitContext ctx) => throw ctx.Fail($"{OpType} is expanded before emission");

    /// <summary>A new node of the default domain at the given opset, named after the node it replaces.</summary>
    protected static Node NewNode(OpContext ctx, string opType, int opset, string suffix, IEnumerable<string> inputs, IEnumerable<string> outputs)
    {
        var n = new Node(opType, "", $"{ctx.Node.Name}/{suffix}", opset) { Guards = ctx.Node.Guards.ToList() };
        n.Inputs.AddRange(inputs);
        n.Outputs.AddRange(outputs);
        return n;
    }

    /// <summary>A model-unique value name derived from the node.</summary>
    protected static string Local(OpContext ctx, string suffix)
    {
        var name = $"{(ctx.Node.Outputs.FirstOrDefault(o => o.Length > 0) ?? ctx.Node.Name)}/{suffix}";
        while (ctx.Graph.Values.ContainsKey(name)) name += "'";
        return name;
    }

    /// <summary>A compile-time int64 constant value (axes, split sizes) for the nodes an op expands into.</summary>
    protected static string LongConstant(OpContext ctx, string suffix, int[] shape, long[] values)
    {
        var name = Local(ctx, suffix);
        var v = ctx.Graph.Value(name);
        v.Constant = Tensor.FromLongs(shape, values);
        v.Type = DataType.Int64;
        v.Shape = shape;
        return name;
    }

    protected static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>
    /// A copy of a subgraph's nodes for one use (an unrolled iteration): every name the body defines (its inputs, its
    /// nodes' outputs, nested subgraphs included) gets <paramref name="suffix"/>, except the body inputs, which are
    /// bound to the given outer names. Outer-scope names and constants are shared. Returns the nodes and the body's
    /// outputs under their new names.
    /// </summary>
    protected static (List<Node> Nodes, List<string> Outputs) Instantiate(OpContext ctx, Subgraph body, IReadOnlyList<string> inputBindings, string suffix)
    {
        if (inputBindings.Count != body.Inputs.Count) throw ctx.Fail($"the body has {body.Inputs.Count} inputs, {inputBindings.Count} are bound");
        var rename = new Dictionary<string, string>();
        for (int i = 0; i < body.Inputs.Count; i++) rename[body.Inputs[i]] = inputBindings[i];
        Collect(body, rename, suffix, top: true);
        var nodes = body.Nodes.Select(n => Clone(n, rename, suffix, ctx.Node.Guards)).ToList();
        return (nodes, body.Outputs.Select(o => rename.TryGetValue(o, out var r) ? r : o).ToList());
    }

    private static void Collect(Subgraph g, Dictionary<string, string> rename, string suffix, bool top)
    {
        if (!top) foreach (var i in g.Inputs) if (i.Length > 0) rename[i] = i + suffix;
        foreach (var n in g.Nodes)
        {
            foreach (var o in n.Outputs) if (o.Length > 0) rename[o] = o + suffix;
            foreach (var sub in n.Subgraphs.Values) Collect(sub, rename, suffix, top: false);
        }
    }

    private static Node Clone(Node n, Dictionary<string, string> rename, string suffix, List<Guard> guards)
    {
        string R(string name) => name.Length > 0 && rename.TryGetValue(name, out var r) ? r : name;
        var c = new Node(n.OpType, n.Domain, n.Name + suffix, n.Opset)
        {
            Guards = guards.Concat(n.Guards.Select(g => g with { Condition = R(g.Condition) })).ToList(),
        };
        c.Inputs.AddRange(n.Inputs.Select(R));
        c.Outputs.AddRange(n.Outputs.Select(R));
        foreach (var kv in n.Attributes) c.Attributes[kv.Key] = kv.Value;
        c.Fused.AddRange(n.Fused);
        foreach (var kv in n.Subgraphs)
        {
            var sub = new Subgraph();
            sub.Inputs.AddRange(kv.Value.Inputs.Select(R));
            sub.Nodes.AddRange(kv.Value.Nodes.Select(inner => Clone(inner, rename, suffix, new List<Guard>())));
            sub.Outputs.AddRange(kv.Value.Outputs.Select(R));
            c.Subgraphs[kv.Key] = sub;
        }
        return c;
    }

    /// <summary>Binds an op's output to a value: an Identity for a tensor, an alias for a compile-time sequence.</summary>
    protected static Node? Bind(OpContext ctx, string from, string to, string suffix)
    {
        if (to.Length == 0) return null;
        if (ctx.Graph.Sequences.TryGetValue(from, out var elements))
        {
            ctx.Graph.Sequences[to] = elements;
            return null;
        }
        return NewNode(ctx, "Identity", 1, suffix, new[] { from }, new[] { to });
    }

    /// <summary>Stacks values along a new axis (Unsqueeze each, Concat): the scan outputs of an unrolled loop.</summary>
    protected static IEnumerable<Node> Stack(OpContext ctx, IReadOnlyList<string> parts, int axis, string output, string suffix)
    {
        var axes = LongConstant(ctx, suffix + "/axes", new[] { 1 }, new long[] { axis });
        var unsqueezed = new List<string>();
        for (int i = 0; i < parts.Count; i++)
        {
            var name = Local(ctx, suffix + "/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            unsqueezed.Add(name);
            yield return NewNode(ctx, "Unsqueeze", 13, name, new[] { parts[i], axes }, new[] { name });
        }
        var concat = NewNode(ctx, "Concat", 13, suffix, unsqueezed, new[] { output });
        concat.Attributes["axis"] = IntAttribute("axis", axis);
        yield return concat;
    }
}
