using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class NormalizeAndIndexingTests
{
    /// <summary>(x - mean) / sqrt(var + eps) of a block, in double.</summary>
    private static double[] Standardized(float[] x, int start, int n, double eps)
    {
        double mean = 0, var = 0;
        for (int i = 0; i < n; i++) mean += x[start + i];
        mean /= n;
        for (int i = 0; i < n; i++) var += (x[start + i] - mean) * (x[start + i] - mean);
        var /= n;
        var z = new double[n];
        for (int i = 0; i < n; i++) z[i] = (x[start + i] - mean) / Math.Sqrt(var + eps);
        return z;
    }

    [Fact]
    public void LayerMatchesNaive()
    {
        var rng = new Random(1);
        int rows = 5, n = 37;
        var x = TestUtil.RandomArray(rng, rows * n);
        var scale = TestUtil.RandomArray(rng, n);
        var bias = TestUtil.RandomArray(rng, n);
        var y = new float[rows * n];
        var mean = new float[rows];
        var inv = new float[rows];
        Normalize.Layer(x, scale, bias, y, rows, n, 1e-5f, mean, inv);
        var expected = new double[rows * n];
        for (int r = 0; r < rows; r++)
        {
            var z = Standardized(x, r * n, n, 1e-5);
            for (int i = 0; i < n; i++) expected[r * n + i] = z[i] * scale[i] + bias[i];
        }
        TestUtil.AssertClose(expected, y, 1e-5, 1e-5, "layer");
        Normalize.Layer(x, scale, default, x, rows, n, 1e-5f, default, default); // in place, no bias
        for (int i = 0; i < x.Length; i++) Assert.Equal(y[i] - bias[i % n], x[i], 4);
    }

    [Theory]
    [InlineData(6, false)] [InlineData(2, false)] [InlineData(3, true)] [InlineData(6, true)]
    public void GroupMatchesNaive(int groups, bool perChannel)
    {
        var rng = new Random(2);
        int batch = 2, channels = 6, spatial = 11;
        var x = TestUtil.RandomArray(rng, batch * channels * spatial);
        int affine = perChannel ? channels : groups;
        var scale = TestUtil.RandomArray(rng, affine);
        var bias = TestUtil.RandomArray(rng, affine);
        var y = new float[x.Length];
        Normalize.Group(x, scale, bias, y, batch, channels, spatial, groups, 1e-5f, perChannel);
        int perGroup = channels / groups, block = perGroup * spatial;
        var expected = new double[x.Length];
        for (int b = 0; b < batch; b++)
            for (int g = 0; g < groups; g++)
            {
                var z = Standardized(x, (b * groups + g) * block, block, 1e-5);
                for (int i = 0; i < block; i++)
                {
                    int k = perChannel ? g * perGroup + i / spatial : g;
                    expected[(b * groups + g) * block + i] = z[i] * scale[k] + bias[k];
                }
            }
        TestUtil.AssertClose(expected, y, 1e-5, 1e-5, "group");
    }

    [Fact]
    public void ArgReduceCumSumGatherElementsMatchNaive()
    {
        var x = new float[] { 1, 3, 3, 2, /**/ 0, -1, 5, 5, /**/ 4, 4, 4, 4 };
        var y = new long[3];
        Indexing.ArgReduce<float>(x, y, 3, 4, 1, max: true, selectLast: false);
        Assert.Equal(new long[] { 1, 2, 0 }, y);
        Indexing.ArgReduce<float>(x, y, 3, 4, 1, max: true, selectLast: true);
        Assert.Equal(new long[] { 2, 3, 3 }, y);
        var cols = new long[4];
        Indexing.ArgReduce<float>(x, cols, 1, 3, 4, max: false, selectLast: false);
        Assert.Equal(new long[] { 1, 1, 0, 0 }, cols);
        var withNaN = new float[] { 1, float.NaN, 7 };
        var one = new long[1];
        Indexing.ArgReduce<float>(withNaN, one, 1, 3, 1, max: true, selectLast: false);
        Assert.Equal(1, one[0]);

        var sums = new float[12];
        Indexing.CumSum<float>(x, sums, 1, 3, 4, exclusive: false, reverse: false);
        Assert.Equal(new float[] { 1, 3, 3, 2, 1, 2, 8, 7, 5, 6, 12, 11 }, sums);
        var ls = new long[4];
        Indexing.CumSum<long>(new long[] { 1, 2, 3, 4 }, ls, 1, 4, 1, exclusive: true, reverse: true);
        Assert.Equal(new long[] { 9, 7, 4, 0 }, ls);

        var g = new float[6];
        Indexing.GatherElements<float, long>(x, new long[] { 3, 0, -1, 1, 1, 2 }, g, 3, 4, 1, 2);
        Assert.Equal(new float[] { 2, 1, 5, -1, 4, 4 }, g);
        Assert.Throws<IndexOutOfRangeException>(() => Indexing.GatherElements<float, int>(x, new[] { 4 }, g, 1, 4, 1, 1));
    }
}
