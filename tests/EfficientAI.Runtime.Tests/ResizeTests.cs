using System;
using System.Linq;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class ResizeTests
{
    [Theory]
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 5, 3 })]
    [InlineData(new[] { 7 }, new[] { 12 })]
    [InlineData(new[] { 1, 2, 3, 4 }, new[] { 1, 4, 6, 2 })]
    public void NearestGathersEveryAxisThroughItsTable(int[] inShape, int[] outShape)
    {
        var rng = new Random(inShape.Length);
        var x = TestUtil.RandomArray(rng, TestUtil.Product(inShape));
        var sources = new int[Sum(outShape)];
        for (int a = 0, k = 0; a < outShape.Length; a++)
            for (int i = 0; i < outShape[a]; i++) sources[k++] = rng.Next(inShape[a]);
        var y = new float[TestUtil.Product(outShape)];
        Resize.Nearest<float>(x, y, inShape, outShape, sources);

        var inStrides = TestUtil.Strides(inShape);
        for (int o = 0; o < y.Length; o++)
        {
            var index = TestUtil.Unravel(o, outShape);
            int src = 0, start = 0;
            for (int a = 0; a < outShape.Length; a++)
            {
                src += sources[start + index[a]] * inStrides[a];
                start += outShape[a];
            }
            Assert.Equal(x[src], y[o]);
        }
    }

    [Theory]
    [InlineData(3, 4, 5, 7, 9)]
    [InlineData(2, 20, 37, 40, 74)] // vector blend and gathers with scalar tails
    [InlineData(1, 3, 8, 2, 3)] // downsampling
    public void LinearBlendsTwoTapsPerAxis(int planes, int inH, int inW, int outH, int outW)
    {
        var rng = new Random(5);
        var x = TestUtil.RandomArray(rng, planes * inH * inW);
        var (rows, rowWeights) = Taps(rng, inH, outH);
        var (cols, colWeights) = Taps(rng, inW, outW);
        var y = new float[planes * outH * outW];
        Resize.Linear(x, y, planes, inH, inW, outH, outW, rows, rowWeights, cols, colWeights);
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < outH; i++)
                for (int j = 0; j < outW; j++)
                {
                    double expected = 0;
                    for (int r = 0; r < 2; r++)
                        for (int c = 0; c < 2; c++)
                            expected += (double)rowWeights[2 * i + r] * colWeights[2 * j + c] * x[(p * inH + rows[2 * i + r]) * inW + cols[2 * j + c]];
                    Assert.InRange(y[(p * outH + i) * outW + j], expected - 1e-5, expected + 1e-5);
                }
    }

    [Fact]
    public void MismatchedTablesThrow()
    {
        var x = new float[4];
        var y = new float[8];
        Assert.Throws<ArgumentException>(() => Resize.Nearest<float>(x, y, new[] { 4 }, new[] { 8 }, new int[7]));
        Assert.Throws<ArgumentException>(() => Resize.Linear(x, y, 1, 1, 4, 1, 8, new int[2], new float[2], new int[15], new float[16]));
        // A tap outside the input is refused before anything is read.
        Assert.Throws<ArgumentException>(() => Resize.Linear(x, y, 1, 1, 4, 1, 8, new int[2], new float[2], Enumerable.Repeat(4, 16).ToArray(), new float[16]));
    }

    [Fact]
    public void KernelsDoNotAllocateAfterWarmUp()
    {
        var rng = new Random(9);
        var x = TestUtil.RandomArray(rng, 2 * 4 * 5);
        var y = new float[2 * 7 * 9];
        int[] inShape = { 2, 4, 5 }, outShape = { 2, 7, 9 }, sources = new int[18];
        var (rows, rowWeights) = Taps(rng, 4, 7);
        var (cols, colWeights) = Taps(rng, 5, 9);
        void Run()
        {
            Resize.Nearest<float>(x, y, inShape, outShape, sources);
            Resize.Linear(x, y, 2, 4, 5, 7, 9, rows, rowWeights, cols, colWeights);
        }
        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static (int[], float[]) Taps(Random rng, int inSize, int outSize)
    {
        var index = new int[2 * outSize];
        var weight = new float[2 * outSize];
        for (int i = 0; i < outSize; i++)
        {
            int lo = rng.Next(inSize);
            index[2 * i] = lo;
            index[2 * i + 1] = Math.Min(lo + 1, inSize - 1);
            float w = (float)rng.NextDouble();
            weight[2 * i] = 1 - w;
            weight[2 * i + 1] = w;
        }
        return (index, weight);
    }

    private static int Sum(int[] v)
    {
        int s = 0;
        foreach (int x in v) s += x;
        return s;
    }
}
