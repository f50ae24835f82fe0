using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class ArithmeticTests
{
    [Fact]
    public void PReluPerChannelMatchesNaive()
    {
        var rng = new Random(4);
        int n = 2, c = 3, s = 17;
        var x = TestUtil.RandomArray(rng, n * c * s);
        var slope = TestUtil.RandomArray(rng, c);
        var y = new float[x.Length];
        Arithmetic.PRelu(x, slope, y, new[] { n, c, s }, new[] { c * s, s, 1 }, new[] { 0, 1, 0 });
        int negatives = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float expected = x[i] < 0 ? slope[(i / s) % c] * x[i] : x[i];
            Assert.Equal(expected, y[i]);
            if (x[i] < 0) negatives++;
        }
        Assert.InRange(negatives, 1, x.Length - 1);
        // In place, as the planner may arrange.
        Arithmetic.PRelu(x, slope, x, new[] { n, c, s }, new[] { c * s, s, 1 }, new[] { 0, 1, 0 });
        Assert.Equal(y, x);
    }

    [Fact]
    public void RemainderTruncatesTowardZero()
    {
        var a = new long[] { 7, -7, 7, -7, 0, 5 };
        var b = new long[] { 3, 3, -3, -3, 4, 5 };
        var y = new long[6];
        Arithmetic.Remainder<long>(a, b, y, new[] { 6 }, new[] { 1 }, new[] { 1 });
        Assert.Equal(new long[] { 1, -1, 1, -1, 0, 0 }, y);
        var yi = new int[6];
        Arithmetic.Remainder<int>(new[] { 7, -7, 9, -9, 10, -10 }, new[] { 4 }, yi, new[] { 6 }, new[] { 1 }, new[] { 0 });
        Assert.Equal(new[] { 3, -3, 1, -1, 2, -2 }, yi);
    }
}
