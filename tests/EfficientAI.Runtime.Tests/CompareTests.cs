using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class CompareTests
{
    private static readonly (int[] A, int[] B)[] Broadcasts =
    {
        (new[] { 2, 3, 17 }, new[] { 2, 3, 17 }),
        (Array.Empty<int>(), new[] { 3, 7 }),
        (new[] { 5, 33 }, Array.Empty<int>()),
        (new[] { 5, 17 }, new[] { 17 }),
        (new[] { 2, 4, 3, 5 }, new[] { 1, 4, 1, 1 }),
        (new[] { 3, 1, 5 }, new[] { 1, 4, 1 }),
        (new[] { 4, 1 }, new[] { 1, 7 }),
    };

    /// <summary>Output shape and per-output-axis strides of each input (0 on broadcast axes), by the numpy rule.</summary>
    private static (int[] Out, int[][] Strides) Broadcast(params int[][] shapes)
    {
        int rank = 0;
        foreach (var s in shapes) rank = Math.Max(rank, s.Length);
        var outShape = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            outShape[d] = 1;
            foreach (var s in shapes) { int i = d - (rank - s.Length); if (i >= 0 && s[i] != 1) outShape[d] = s[i]; }
        }
        var strides = new int[shapes.Length][];
        for (int k = 0; k < shapes.Length; k++)
        {
            var own = TestUtil.Strides(shapes[k]);
            strides[k] = new int[rank];
            for (int d = 0; d < rank; d++) { int i = d - (rank - shapes[k].Length); strides[k][d] = i >= 0 && shapes[k][i] != 1 ? own[i] : 0; }
        }
        return (outShape, strides);
    }

    /// <summary>Flat index into an input for output element o (naive unravel).</summary>
    private static int Source(int o, int[] outShape, int[] strides)
    {
        var idx = TestUtil.Unravel(o, outShape);
        int s = 0;
        for (int d = 0; d < idx.Length; d++) s += idx[d] * strides[d];
        return s;
    }

    private static float[] Grid(Random rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rng.Next(-3, 4) * 0.5f;
        return a;
    }

    [Theory]
    [InlineData(CompareOp.Equal)] [InlineData(CompareOp.Less)] [InlineData(CompareOp.LessOrEqual)] [InlineData(CompareOp.Greater)] [InlineData(CompareOp.GreaterOrEqual)]
    public void CompareMatchesNaive(CompareOp op)
    {
        var rng = new Random(1);
        foreach (var (sa, sb) in Broadcasts)
        {
            var (outShape, st) = Broadcast(sa, sb);
            var a = Grid(rng, TestUtil.Product(sa));
            var b = Grid(rng, TestUtil.Product(sb));
            a[0] = float.NaN; // NaN compares false, also to itself
            var al = Array.ConvertAll(a, v => float.IsNaN(v) ? 7L : (long)(v * 2));
            var bl = Array.ConvertAll(b, v => (long)(v * 2));
            int n = TestUtil.Product(outShape);
            var y = new bool[n];
            var yl = new bool[n];
            Compare.Binary(op, (ReadOnlySpan<float>)a, b, y, outShape, st[0], st[1]);
            Compare.Binary(op, (ReadOnlySpan<long>)al, bl, yl, outShape, st[0], st[1]);
            int trues = 0;
            for (int o = 0; o < n; o++)
            {
                float x = a[Source(o, outShape, st[0])], z = b[Source(o, outShape, st[1])];
                long xl = al[Source(o, outShape, st[0])], zl = bl[Source(o, outShape, st[1])];
                bool expected = op switch { CompareOp.Equal => x == z, CompareOp.Less => x < z, CompareOp.LessOrEqual => x <= z, CompareOp.Greater => x > z, _ => x >= z };
                bool expectedL = op switch { CompareOp.Equal => xl == zl, CompareOp.Less => xl < zl, CompareOp.LessOrEqual => xl <= zl, CompareOp.Greater => xl > zl, _ => xl >= zl };
                Assert.True(expected == y[o], $"{op} {string.Join("x", sa)} vs {string.Join("x", sb)} at {o}");
                Assert.True(expectedL == yl[o], $"{op} int64 at {o}");
                if (y[o]) trues++;
            }
            if (n > 10 && a.Length > 1) Assert.InRange(trues, 1, n - 1); // a scalar a is NaN: all false
        }
    }

    [Theory]
    [InlineData(LogicalOp.And)] [InlineData(LogicalOp.Or)] [InlineData(LogicalOp.Xor)]
    public void LogicalMatchesNaive(LogicalOp op)
    {
        var rng = new Random(2);
        foreach (var (sa, sb) in Broadcasts)
        {
            var (outShape, st) = Broadcast(sa, sb);
            var a = new bool[TestUtil.Product(sa)];
            var b = new bool[TestUtil.Product(sb)];
            for (int i = 0; i < a.Length; i++) a[i] = rng.Next(2) == 1;
            for (int i = 0; i < b.Length; i++) b[i] = rng.Next(2) == 1;
            var y = new bool[TestUtil.Product(outShape)];
            Compare.Logical(op, a, b, y, outShape, st[0], st[1]);
            for (int o = 0; o < y.Length; o++)
            {
                bool x = a[Source(o, outShape, st[0])], z = b[Source(o, outShape, st[1])];
                Assert.Equal(op switch { LogicalOp.And => x && z, LogicalOp.Or => x || z, _ => x != z }, y[o]);
            }
        }
        var eq = new bool[2];
        Compare.Binary(CompareOp.Equal, new[] { true, false }, new[] { true, true }, eq, new[] { 2 }, new[] { 1 }, new[] { 1 });
        Assert.Equal(new[] { true, false }, eq);
        var not = new bool[3];
        Compare.Not(new[] { true, false, true }, not);
        Assert.Equal(new[] { false, true, false }, not);
    }

    [Fact]
    public void WhereMatchesNaive()
    {
        var rng = new Random(3);
        var cases = new[]
        {
            (C: new[] { 2, 3, 17 }, X: new[] { 2, 3, 17 }, Y: new[] { 2, 3, 17 }),
            (C: new[] { 4, 1 }, X: new[] { 3, 4, 5 }, Y: new[] { 5 }),
            (C: new[] { 5 }, X: Array.Empty<int>(), Y: new[] { 2, 5 }),
            (C: new[] { 3, 1, 1 }, X: new[] { 1, 4, 6 }, Y: new[] { 3, 4, 1 }),
            (C: Array.Empty<int>(), X: Array.Empty<int>(), Y: Array.Empty<int>()),
        };
        foreach (var (sc, sx, sy) in cases)
        {
            var (outShape, st) = Broadcast(sc, sx, sy);
            var c = new bool[TestUtil.Product(sc)];
            for (int i = 0; i < c.Length; i++) c[i] = rng.Next(2) == 1;
            var x = TestUtil.RandomArray(rng, TestUtil.Product(sx));
            var y = TestUtil.RandomArray(rng, TestUtil.Product(sy));
            var r = new float[TestUtil.Product(outShape)];
            Compare.Where<float>(c, x, y, r, outShape, st[0], st[1], st[2]);
            for (int o = 0; o < r.Length; o++)
                Assert.Equal(c[Source(o, outShape, st[0])] ? x[Source(o, outShape, st[1])] : y[Source(o, outShape, st[2])], r[o]);
        }
    }
}
