using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Einsum with one or two operands: any equation the spec allows (explicit or implicit output, diagonals, sums,
/// transposes, ellipsis with broadcasting). The equation is resolved at compile time into an index space and strides;
/// a batched matrix product (batch, m, n and k index groups in matching order) runs on the GEMM kernels.
/// </summary>
internal sealed class EinsumOp : Operator
{
    public override string OpType => "Einsum";

    /// <summary>Output labels first, then the summed ones; per operand a stride per label.</summary>
    private sealed record Plan(int[] Labels, int[] Sizes, int OutputRank, int[][] Strides, int[][] Terms, int[] OutShape);

    /// <summary>Ellipsis axes get labels from this code up, one per broadcast axis (letters keep their char code).</summary>
    private const int EllipsisLabel = 1000;

    private static Plan Resolve(OpContext ctx)
    {
        string equation = new string(ctx.Str("equation", "").Where(c => !char.IsWhiteSpace(c)).ToArray());
        if (equation.Length == 0) throw ctx.Fail("the equation attribute is required");
        if (ctx.InputCount is < 1 or > 2)
            throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "Einsum", $"{ctx.Node.Display} has {ctx.InputCount} operands; one or two are supported" });
        var type = ctx.Type(0);
        for (int i = 0; i < ctx.InputCount; i++)
        {
            if (ctx.Type(i) != type) throw ctx.Fail("every operand must have the same type");
        }
        if (type is not (DataType.Float or DataType.Double or DataType.Int32 or DataType.Int64))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: Einsum of {DataTypes.Name(type)} is not supported (float, double, int32, int64)");

        int arrow = equation.IndexOf("->", StringComparison.Ordinal);
        var inputTerms = (arrow < 0 ? equation : equation.Substring(0, arrow)).Split(',');
        if (inputTerms.Length != ctx.InputCount) throw ctx.Fail($"the equation '{equation}' has {inputTerms.Length} operands but the node has {ctx.InputCount} inputs");

        var parsed = inputTerms.Select(t => Split(ctx, t)).ToArray();
        var ellipsisRanks = new int[parsed.Length];
        for (int i = 0; i < parsed.Length; i++)
        {
            int rank = ctx.Rank(i);
            int letters = parsed[i].Before.Length + parsed[i].After.Length;
            ellipsisRanks[i] = parsed[i].HasEllipsis ? rank - letters : 0;
            if (ellipsisRanks[i] < 0 || (!parsed[i].HasEllipsis && rank != letters))
                throw ctx.Fail($"operand {i} '{inputTerms[i]}' does not match its rank {rank}");
        }
        int ellipsis = ellipsisRanks.Length == 0 ? 0 : ellipsisRanks.Max();

        var terms = new int[parsed.Length][];
        var sizes = new Dictionary<int, int>();
        for (int i = 0; i < parsed.Length; i++)
        {
            var p = parsed[i];
            var labels = p.Before.Select(c => (int)c)
                .Concat(Enumerable.Range(ellipsis - ellipsisRanks[i], ellipsisRanks[i]).Select(j => EllipsisLabel + j))
                .Concat(p.After.Select(c => (int)c)).ToArray();
            terms[i] = labels;
            var shape = ctx.Shape(i);
            for (int d = 0; d < labels.Length; d++)
            {
                int l = labels[d];
                if (!sizes.TryGetValue(l, out int known)) sizes[l] = shape[d];
                else if (known != shape[d])
                {
                    // Ellipsis axes broadcast (size 1 against n); letters must agree.
                    if (l >= EllipsisLabel && (known == 1 || shape[d] == 1)) sizes[l] = Math.Max(known, shape[d]);
                    else throw ctx.Fail($"index '{LabelName(l)}' has sizes {known} and {shape[d]}");
                }
            }
        }

        int[] output;
        if (arrow >= 0)
        {
            var o = Split(ctx, equation.Substring(arrow + 2));
            output = o.Before.Select(c => (int)c).Concat(o.HasEllipsis ? Enumerable.Range(0, ellipsis).Select(j => EllipsisLabel + j) : Enumerable.Empty<int>())
                .Concat(o.After.Select(c => (int)c)).ToArray();
            if (!o.HasEllipsis && ellipsis > 0 && Enumerable.Range(0, ellipsis).Any(j => sizes[EllipsisLabel + j] != 1))
                throw ctx.Fail("the output must keep the ellipsis axes");
            foreach (var l in output)
            {
                if (!sizes.ContainsKey(l)) throw ctx.Fail($"output index '{LabelName(l)}' appears in no operand");
            }
            if (output.Distinct().Count() != output.Length) throw ctx.Fail("an output index repeats");
        }
        else
        {
            // Implicit output: the ellipsis axes, then the letters that appear once, alphabetically.
            var counts = terms.SelectMany(t => t).Where(l => l < EllipsisLabel).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
            output = Enumerable.Range(0, ellipsis).Select(j => EllipsisLabel + j)
                .Concat(counts.Where(kv => kv.Value == 1).Select(kv => kv.Key).OrderBy(l => l)).ToArray();
        }
        var summed = terms.SelectMany(t => t).Distinct().Where(l => !output.Contains(l)).ToArray();
        var all = output.Concat(summed).ToArray();
        var allSizes = all.Select(l => sizes[l]).ToArray();
        var strides = new int[terms.Length][];
        for (int i = 0; i < terms.Length; i++)
        {
            var shape = ctx.Shape(i);
            strides[i] = new int[all.Length];
            int stride = 1;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                int l = terms[i][d];
                if (!(shape[d] == 1 && sizes[l] > 1)) strides[i][Array.IndexOf(all, l)] += stride;
                stride *= shape[d];
            }
        }
        if (all.Length > 32) throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { "Einsum", $"{ctx.Node.Display} has {all.Length} indices; at most 32 are supported" });
        return new Plan(all, allSizes, output.Length, strides, terms, output.Select(l => sizes[l]).ToArray());
    }

    private static string LabelName(int label) => label >= EllipsisLabel ? "..." : ((char)label).ToString();

    private static (string Before, bool HasEllipsis, string After) Split(OpContext ctx, string term)
    {
        int dots = term.IndexOf("...", StringComparison.Ordinal);
        string before = dots < 0 ? term : term.Substring(0, dots), after = dots < 0 ? "" : term.Substring(dots + 3);
        foreach (char c in before + after)
        {
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) throw ctx.Fail($"'{term}' holds '{c}'; indices are letters");
        }
        return (before, dots >= 0, after);
    }

    public override void Infer(OpContext ctx)
    {
        var p = Resolve(ctx);
        ctx.SetOutput(0, ctx.Type(0), p.OutShape);
    }

    public override long Macs(OpContext ctx) => Shape.Elements(Resolve(ctx).Sizes);

    public override void Emit(EmitContext ctx)
    {
        var p = Resolve(ctx);
        ctx.W.Line($"// Einsum '{ctx.Str("equation", "")}' -> {Shape.Format(p.OutShape)}");
        if (ctx.Type(0) == DataType.Float && ctx.InputCount == 2 && AsBatchedGemm(p) is { } g)
        {
            ctx.W.Line($"global::EfficientAI.Runtime.Einsum.BatchedGemm({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {g.Batch}, {g.M}, {g.N}, {g.K}, " +
                $"{EmitContext.B(g.TransA)}, {EmitContext.B(g.TransB)});");
            return;
        }
        string b = ctx.InputCount == 2 ? ctx.In(1) : "default";
        string bStrides = ctx.InputCount == 2 ? ctx.IntTable(p.Strides[1]) : "default";
        ctx.W.Line($"global::EfficientAI.Runtime.Einsum.Contract({ctx.In(0)}, {b}, {ctx.Out(0)}, {ctx.IntTable(p.Sizes)}, " +
            $"{ctx.IntTable(p.Strides[0])}, {bStrides}, {p.OutputRank});");
    }

    /// <summary>
    /// The equation as batch x [m, k] x [k, n] when its indices fall into batch (both operands and the output), m (a and
    /// the output), n (b and the output) and k (both operands, summed) groups laid out in the same order everywhere, with
    /// no diagonal, no broadcasting and no index summed out of a single operand.
    /// </summary>
    private static (int Batch, int M, int N, int K, bool TransA, bool TransB)? AsBatchedGemm(Plan p)
    {
        var a = p.Terms[0];
        var b = p.Terms[1];
        if (a.Distinct().Count() != a.Length || b.Distinct().Count() != b.Length) return null;
        var output = p.Labels.Take(p.OutputRank).ToArray();
        foreach (var l in a.Concat(b))
        {
            if (!output.Contains(l) && !(a.Contains(l) && b.Contains(l))) return null;
        }
        var batch = output.Where(l => a.Contains(l) && b.Contains(l)).ToArray();
        var m = output.Where(l => a.Contains(l) && !b.Contains(l)).ToArray();
        var n = output.Where(l => b.Contains(l) && !a.Contains(l)).ToArray();
        var k = a.Where(l => b.Contains(l) && !output.Contains(l)).ToArray();
        if (!output.SequenceEqual(batch.Concat(m).Concat(n))) return null;
        bool transA, transB;
        if (a.SequenceEqual(batch.Concat(m).Concat(k))) transA = false;
        else if (a.SequenceEqual(batch.Concat(k).Concat(m))) transA = true;
        else return null;
        if (b.SequenceEqual(batch.Concat(k).Concat(n))) transB = false;
        else if (b.SequenceEqual(batch.Concat(n).Concat(k))) transB = true;
        else return null;
        // Broadcast operand axes have stride 0: not a plain batched product.
        for (int i = 0; i < p.Labels.Length; i++)
        {
            if (p.Sizes[i] > 1 && ((a.Contains(p.Labels[i]) && p.Strides[0][i] == 0) || (b.Contains(p.Labels[i]) && p.Strides[1][i] == 0))) return null;
        }
        int Size(int[] group) => group.Aggregate(1, (acc, l) => acc * p.Sizes[Array.IndexOf(p.Labels, l)]);
        return (Size(batch), Size(m), Size(n), Size(k), transA, transB);
    }
}
