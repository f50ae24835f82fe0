using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Shared part of the sequence ops. A sequence exists only at compile time, as the list of its element tensors
/// (<see cref="Graph.Sequences"/>): every op expands into tensor nodes (Identity, Split, Concat, ...) or none at all,
/// so its length and every position must be known at compile time.
/// </summary>
internal abstract class SequenceOperator : Operator
{
    public abstract override IReadOnlyList<Node> Expand(OpContext ctx);

    public override void Infer(OpContext ctx) => throw ctx.Fail("sequence ops are expanded before shape inference");

    public override void Emit(EmitContext ctx) => throw ctx.Fail("sequence ops are expanded before emission");

    /// <summary>The element names of sequence input i.</summary>
    protected static List<string> Sequence(OpContext ctx, int i)
    {
        var name = ctx.Has(i) ? ctx.Node.Inputs[i] : throw ctx.Fail($"input {i} (a sequence) is required");
        return ctx.Graph.Sequences.TryGetValue(name, out var elements) ? elements
            : throw new CompileError(DiagnosticDescriptors.UnsupportedType,
                $"{ctx.Node.Display}: the sequence '{name}' is not known at compile time (a graph input or a run-time result); only sequences built inside the model are supported");
    }

    protected static void SetSequence(OpContext ctx, int output, List<string> elements)
    {
        if (ctx.HasOutput(output)) ctx.Graph.Sequences[ctx.Node.Outputs[output]] = elements;
    }

    /// <summary>A position input (a constant int scalar), negative counting from the end, within [-count, count + extra).</summary>
    protected static int Position(OpContext ctx, int input, int count, int extra)
    {
        var t = ctx.RequireConst(input, "position");
        if (t.Length != 1) throw ctx.Fail("position must be a scalar");
        long p = t.ToLongs()[0];
        if (p < -count || p >= count + extra) throw ctx.Fail($"position {p} is outside a sequence of {count}");
        return (int)(p < 0 ? p + count : p);
    }

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
}
