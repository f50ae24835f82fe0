using System.Collections.Generic;
using System.Threading;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// Infers the static type and shape of every value in topological order, and folds every node whose inputs
/// are all constant (shape subgraphs included) with the op's own evaluation. Folded nodes are removed.
/// A node an op expands (an If inlining its branches) is replaced in place and its replacements are inferred next.
/// </summary>
internal static class ShapeInference
{
    /// <summary>Folding never creates a constant larger than this many elements unless its inputs were as large.</summary>
    public const int FoldElementLimit = 1 << 16;

    public static Graph Run(Graph graph, bool fold, CancellationToken ct)
    {
        var kept = new List<Node>(graph.Nodes.Count);
        var pending = new List<Node>(graph.Nodes);
        for (int n = 0; n < pending.Count; n++)
        {
            ct.ThrowIfCancellationRequested();
            var node = pending[n];
            var op = OperatorRegistry.Find(node.Domain, node.OpType)
                ?? throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { node.OpType, $"node {node.Display}" });
            var ctx = new OpContext(graph, node);
            if (op.Expand(ctx) is { } replacement)
            {
                pending.InsertRange(n + 1, replacement);
                continue;
            }
            op.Infer(ctx);
            for (int i = 0; i < node.Outputs.Count; i++)
                if (ctx.HasOutput(i) && !ctx.Output(i).IsKnown) throw ctx.Fail($"output {i} has no inferred shape");
            if (!op.SetsPrecision) InheritPrecision(ctx);
            if (IsFolded(ctx) || (fold && ctx.AllInputsConstant && WithinLimit(ctx) && op.TryEvaluate(ctx)))
            {
                RoundFolded(ctx);
                continue;
            }
            kept.Add(node);
        }
        graph.Nodes = kept;
        foreach (var output in graph.Outputs)
            if (graph.Sequences.ContainsKey(output))
                throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"graph output '{output}' is a sequence; sequences exist only inside the model at compile time, outputs must be tensors");
            else if (!graph.Values.TryGetValue(output, out var v) || !v.IsKnown)
                throw new CompileError(DiagnosticDescriptors.MalformedModel, $"graph output '{output}' is not produced by any node, initializer or input");
        return graph;
    }

    /// <summary>Float outputs of an op on float16/bfloat16 values stand for tensors of that type (ONNX ops keep the type).</summary>
    private static void InheritPrecision(OpContext ctx)
    {
        var precision = DataType.Undefined;
        for (int i = 0; i < ctx.InputCount && precision == DataType.Undefined; i++)
            if (ctx.Has(i) && ctx.Type(i) == DataType.Float && DataTypes.IsHalf(ctx.Input(i).Precision)) precision = ctx.Input(i).Precision;
        if (precision == DataType.Undefined) return;
        for (int i = 0; i < ctx.OutputCount; i++)
            if (ctx.HasOutput(i) && ctx.Output(i).Type == DataType.Float) ctx.Output(i).Precision = precision;
    }

    /// <summary>Folded values of float16/bfloat16 precision are rounded to it, as the emitted code would round them.</summary>
    private static void RoundFolded(OpContext ctx)
    {
        for (int i = 0; i < ctx.OutputCount; i++)
        {
            if (!ctx.HasOutput(i) || ctx.Output(i) is not { Constant.Data: float[] data } v || !DataTypes.IsHalf(v.Precision)) continue;
            var rounded = new float[data.Length];
            for (int k = 0; k < data.Length; k++) rounded[k] = (float)Onnx.HalfPrecisionBoundary.Round(data[k], v.Precision);
            v.Constant = Tensor.FromFloats(v.Constant.Shape, rounded);
        }
    }

    private static bool IsFolded(OpContext ctx)
    {
        for (int i = 0; i < ctx.OutputCount; i++)
            if (ctx.HasOutput(i) && ctx.Output(i).Constant is null) return false;
        return ctx.OutputCount > 0;
    }

    private static bool WithinLimit(OpContext ctx)
    {
        long inputs = 0, outputs = 0;
        for (int i = 0; i < ctx.InputCount; i++) if (ctx.Has(i)) inputs += Shape.Elements(ctx.Shape(i));
        for (int i = 0; i < ctx.OutputCount; i++) if (ctx.HasOutput(i)) outputs += Shape.Elements(ctx.Output(i).RequireShape);
        return outputs <= FoldElementLimit || outputs <= inputs;
    }
}
