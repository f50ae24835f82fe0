using System.Collections.Generic;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Shared part of the sequence ops. A sequence exists only at compile time, as the list of its element tensors
/// (<see cref="Graph.Sequences"/>): every op expands into tensor nodes (Identity, Split, Concat, ...) or none at all,
/// so its length and every position must be known at compile time.
/// </summary>
internal abstract class SequenceOperator : ExpandingOperator
{
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

}
