using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// If: a condition known at compile time inlines the taken branch (its outputs become the If's outputs through
/// Identity views). A run-time condition inlines both branches, each node guarded by the condition, and the If
/// itself remains as the select: it reads the condition and both branches' outputs and copies the taken ones.
/// Both branches must then give each output the same type and shape.
/// </summary>
internal sealed class IfOp : Operator
{
    public override string OpType => "If";

    public override IReadOnlyList<Node>? Expand(OpContext ctx)
    {
        var node = ctx.Node;
        if (node.Subgraphs.Count == 0) return null; // already expanded: the run-time select
        var thenBranch = Branch(ctx, "then_branch");
        var elseBranch = Branch(ctx, "else_branch");
        var cond = ctx.Input(0);
        if (Shape.Elements(cond.RequireShape) != 1)
            throw ctx.Fail($"the condition '{node.Inputs[0]}' has shape {Shape.Format(cond.RequireShape)}; it must hold one element");

        var replacement = new List<Node>();
        if (cond.Constant is { } known)
        {
            var taken = known.GetDouble(0) != 0 ? thenBranch : elseBranch;
            var takenName = known.GetDouble(0) != 0 ? "then" : "else";
            foreach (var inner in taken.Nodes)
            {
                inner.Guards = node.Guards.Concat(inner.Guards).ToList();
                replacement.Add(inner);
            }
            for (int i = 0; i < node.Outputs.Count; i++)
            {
                if (node.Outputs[i].Length == 0) continue;
                var identity = new Node("Identity", "", $"{node.Name}/{takenName}/output{i}", 1) { Guards = node.Guards.ToList() };
                identity.Inputs.Add(taken.Outputs[i]);
                identity.Outputs.Add(node.Outputs[i]);
                replacement.Add(identity);
            }
            return replacement;
        }

        if (cond.Type != DataType.Bool)
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{node.Display}: the condition '{node.Inputs[0]}' is {DataTypes.Name(cond.Type)}; If needs bool");
        foreach (var (branch, when) in new[] { (thenBranch, true), (elseBranch, false) })
            foreach (var inner in branch.Nodes)
            {
                inner.Guards = node.Guards.Append(new Guard(node.Inputs[0], when)).Concat(inner.Guards).ToList();
                replacement.Add(inner);
            }
        node.Inputs.AddRange(thenBranch.Outputs);
        node.Inputs.AddRange(elseBranch.Outputs);
        node.Subgraphs.Clear();
        replacement.Add(node);
        return replacement;
    }

    private static Subgraph Branch(OpContext ctx, string name)
    {
        if (!ctx.Node.Subgraphs.TryGetValue(name, out var branch)) throw ctx.Fail($"attribute {name} is missing");
        if (branch.Outputs.Count != ctx.OutputCount)
            throw ctx.Fail($"{name} has {branch.Outputs.Count} outputs; the node has {ctx.OutputCount}");
        return branch;
    }

    /// <summary>The run-time select: inputs are the condition, then the then-branch outputs, then the else-branch outputs.</summary>
    public override void Infer(OpContext ctx)
    {
        int n = ctx.OutputCount;
        if (ctx.InputCount != 1 + 2 * n) throw ctx.Fail("needs then_branch and else_branch attributes");
        for (int i = 0; i < n; i++)
        {
            // Sequences exist only at compile time, so the condition must pick the branch then.
            if (ctx.Graph.Sequences.ContainsKey(ctx.Node.Inputs[1 + i]) || ctx.Graph.Sequences.ContainsKey(ctx.Node.Inputs[1 + n + i]))
                throw new CompileError(DiagnosticDescriptors.DataDependentShape,
                    $"{ctx.Node.Display}: input 0 ('{ctx.Node.Inputs[0]}', the condition) is computed at run time, but output {i} is a sequence, which must be known at compile time");
            var a = ctx.Input(1 + i);
            var b = ctx.Input(1 + n + i);
            if (a.Type != b.Type || !Shape.Equal(a.RequireShape, b.RequireShape))
                throw new CompileError(DiagnosticDescriptors.DataDependentShape,
                    $"{ctx.Node.Display}: output {i} is {DataTypes.Name(a.Type)} {Shape.Format(a.RequireShape)} in then_branch but {DataTypes.Name(b.Type)} {Shape.Format(b.RequireShape)} in else_branch, " +
                    $"and the condition '{ctx.Node.Inputs[0]}' is computed at run time");
            ctx.SetOutput(i, a.Type, a.RequireShape);
        }
    }

    public override void Emit(EmitContext ctx)
    {
        int n = ctx.OutputCount;
        ctx.W.Open($"if ({ctx.In(0)}[0])");
        for (int i = 0; i < n; i++) if (ctx.HasOutput(i)) ctx.W.Line($"{ctx.In(1 + i)}.CopyTo({ctx.Out(i)});");
        ctx.W.Close();
        ctx.W.Open("else");
        for (int i = 0; i < n; i++) if (ctx.HasOutput(i)) ctx.W.Line($"{ctx.In(1 + n + i)}.CopyTo({ctx.Out(i)});");
        ctx.W.Close();
    }
}
