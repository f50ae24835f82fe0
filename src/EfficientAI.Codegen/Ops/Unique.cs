using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Unique: the distinct elements (or slices along axis), sorted (default) or in order of first occurrence, with the
/// first-occurrence indices, the inverse indices and the counts. How many there are is the output size, so the input
/// must be constant: the op is folded.
/// </summary>
internal sealed class UniqueOp : Operator
{
    public override string OpType => "Unique";

    public override void Infer(OpContext ctx)
    {
        var x = ctx.RequireConst(0, "input");
        bool flat = !ctx.HasAttr("axis");
        int axis = flat ? 0 : Shape.Axis(ctx.Int("axis", 0), x.Shape.Length);
        int count = flat ? x.Length : x.Shape[axis];
        int outer = 1, inner = 1;
        if (!flat)
        {
            for (int d = 0; d < axis; d++) outer *= x.Shape[d];
            for (int d = axis + 1; d < x.Shape.Length; d++) inner *= x.Shape[d];
        }
        bool integer = DataTypes.IsInteger(x.Type) || x.Type == DataType.Bool;
        // Slice k: the elements (o, k, i) for every outer o and inner i, compared as integers or as doubles.
        double[] Slice(int k)
        {
            var s = new double[outer * inner];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                    s[o * inner + i] = integer ? x.GetLong((o * count + k) * inner + i) : x.GetDouble((o * count + k) * inner + i);
            return s;
        }
        var slices = Enumerable.Range(0, count).Select(Slice).ToArray();
        var firsts = new List<int>();
        var inverse = new int[count];
        for (int k = 0; k < count; k++)
        {
            int found = firsts.FindIndex(f => slices[f].SequenceEqual(slices[k]));
            if (found < 0)
            {
                found = firsts.Count;
                firsts.Add(k);
            }
            inverse[k] = found;
        }
        var order = Enumerable.Range(0, firsts.Count).ToArray();
        if (ctx.Int("sorted", 1) != 0) Array.Sort(order, (a, b) => Compare(slices[firsts[a]], slices[firsts[b]]));
        var rank = new int[order.Length];
        for (int u = 0; u < order.Length; u++) rank[order[u]] = u;

        int n = firsts.Count;
        var yShape = flat ? new[] { n } : x.Shape.Select((d, i) => i == axis ? n : d).ToArray();
        ctx.SetConst(0, TensorMoves.Take(x, yShape, e =>
        {
            int i = e % inner, rest = e / inner, u = rest % n, o = rest / n;
            return (o * count + firsts[order[u]]) * inner + i;
        }));
        ctx.SetConst(1, Tensor.FromLongs(new[] { n }, order.Select(u => (long)firsts[u]).ToArray()));
        ctx.SetConst(2, Tensor.FromLongs(new[] { count }, inverse.Select(u => (long)rank[u]).ToArray()));
        ctx.SetConst(3, Tensor.FromLongs(new[] { n }, order.Select(u => (long)inverse.Count(v => v == u)).ToArray()));
    }

    private static int Compare(double[] a, double[] b)
    {
        for (int i = 0; i < a.Length; i++)
        {
            int c = a[i].CompareTo(b[i]);
            if (c != 0) return c;
        }
        return 0;
    }

    public override bool TryEvaluate(OpContext ctx) => true;

    public override void Emit(EmitContext ctx) => throw ctx.Fail("Unique is always folded");
}
