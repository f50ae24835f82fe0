using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class ScatterTests
{
    [Fact]
    public void TopKMatchesStableSort()
    {
        var rng = new Random(7);
        int outer = 3, axis = 11, inner = 2, k = 4;
        var x = new float[outer * axis * inner];
        for (int i = 0; i < x.Length; i++) x[i] = rng.Next(-3, 4); // ties
        foreach (bool largest in new[] { true, false })
        {
            var v = new float[outer * k * inner];
            var idx = new long[v.Length];
            Scatter.TopK<float>(x, v, idx, outer, axis, inner, k, largest);
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    var order = new int[axis];
                    for (int a = 0; a < axis; a++) order[a] = a;
                    var keys = new float[axis];
                    for (int a = 0; a < axis; a++) keys[a] = x[(o * axis + a) * inner + i];
                    // Stable: sort by (value best first, index ascending).
                    Array.Sort(order, (p, q) => keys[p] != keys[q] ? (largest ? keys[q].CompareTo(keys[p]) : keys[p].CompareTo(keys[q])) : p.CompareTo(q));
                    for (int j = 0; j < k; j++)
                    {
                        Assert.Equal(order[j], idx[(o * k + j) * inner + i]);
                        Assert.Equal(keys[order[j]], v[(o * k + j) * inner + i]);
                    }
                }
        }
    }

    [Fact]
    public void GatherAndScatterND()
    {
        var data = new float[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }; // [2, 3, 2]
        var y = new float[4];
        Scatter.GatherND<float, long>(data, new long[] { 1, 2, 0, -1 }, y, 1, 2, new[] { 2, 3 }, 2);
        Assert.Equal(new float[] { 10, 11, 4, 5 }, y);
        var batched = new float[2];
        Scatter.GatherND<float, int>(data, new[] { 1, 0, 2, 1 }, batched, 2, 1, new[] { 3, 2 }, 1);
        Assert.Equal(new float[] { 2, 11 }, batched);

        var s = new float[12];
        Scatter.ScatterND<float, long>(data, new long[] { 1, 0, 1, -3 }, new float[] { 100, 200, 300, 400 }, s, 2, new[] { 2, 3 }, 2, ScatterReduction.Add);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5, 406, 607, 8, 9, 10, 11 }, s);
        Assert.Throws<IndexOutOfRangeException>(() => Scatter.ScatterND<float, long>(data, new long[] { 2, 0 }, new float[2], s, 1, new[] { 2, 3 }, 2, ScatterReduction.None));
    }

    [Fact]
    public void ScatterElementsAndOneHot()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 }; // [2, 3]
        var y = new float[6];
        Scatter.ScatterElements<float, long>(data, new long[] { 2, -3 }, new float[] { 10, 20 }, y, new[] { 1, 2 }, new[] { 3, 1 }, 1, 3, ScatterReduction.None);
        Assert.Equal(new float[] { 20, 2, 10, 4, 5, 6 }, y);
        Scatter.ScatterElements<float, long>(data, new long[] { 1, 0 }, new float[] { 10, 20 }, data, new[] { 1, 2 }, new[] { 3, 1 }, 0, 2, ScatterReduction.Mul);
        Assert.Equal(new float[] { 1, 40, 3, 40, 5, 6 }, data);

        var hot = new int[2 * 3];
        Scatter.OneHot<long, int>(new long[] { 2, -1 }, 0, 9, hot, 2, 3, 1);
        Assert.Equal(new[] { 0, 0, 9, 0, 0, 9 }, hot);
    }
}
