using System;
using System.Collections.Generic;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class LayoutTests
{
    private static IEnumerable<int[]> Permutations(int n)
    {
        if (n == 0) { yield return Array.Empty<int>(); yield break; }
        foreach (int[] p in Permutations(n - 1))
        {
            for (int pos = 0; pos <= p.Length; pos++)
            {
                var q = new int[n];
                for (int i = 0, j = 0; i < n; i++) q[i] = i == pos ? n - 1 : p[j++];
                yield return q;
            }
        }
    }

    private static int[] Iota(int n)
    {
        var v = new int[n];
        for (int i = 0; i < n; i++) v[i] = i * 7 + 1;
        return v;
    }

    [Fact]
    public void TransposeMatchesReferenceForAllPermutations()
    {
        int[][] shapes = { new[] { 2, 3, 4 }, new[] { 17, 33 }, new[] { 2, 3, 5, 7 }, new[] { 65, 1, 40 }, new[] { 1, 1, 3 }, new[] { 40, 70 } };
        foreach (int[] shape in shapes)
        {
            int[] x = Iota(TestUtil.Product(shape));
            int[] inStrides = TestUtil.Strides(shape);
            foreach (int[] perm in Permutations(shape.Length))
            {
                var outShape = Array.ConvertAll(perm, p => shape[p]);
                var y = new int[x.Length];
                Layout.Transpose<int>(x, y, shape, perm);
                for (int i = 0; i < y.Length; i++)
                {
                    int[] idx = TestUtil.Unravel(i, outShape);
                    int src = 0;
                    for (int d = 0; d < perm.Length; d++) src += idx[d] * inStrides[perm[d]];
                    Assert.True(x[src] == y[i], $"transpose [{string.Join(",", shape)}] perm [{string.Join(",", perm)}] at {i}");
                }
            }
        }
        // Other element types go through the same generic code.
        double[] xd = { 1, 2, 3, 4, 5, 6 };
        var yd = new double[6];
        Layout.Transpose<double>(xd, yd, new[] { 2, 3 }, new[] { 1, 0 });
        Assert.Equal(new double[] { 1, 4, 2, 5, 3, 6 }, yd);
    }

    [Fact]
    public void CopyRowsConcatenatesAndSplits()
    {
        // Concat [2,3] and [2,5] along axis 1 into [2,8], then split it back.
        int[] a = { 1, 2, 3, 4, 5, 6 }, b = Iota(10);
        var y = new int[16];
        Layout.CopyRows<int>(a, 0, 3, y, 0, 8, 2, 3);
        Layout.CopyRows<int>(b, 0, 5, y, 3, 8, 2, 5);
        Assert.Equal(new[] { 1, 2, 3, b[0], b[1], b[2], b[3], b[4], 4, 5, 6, b[5], b[6], b[7], b[8], b[9] }, y);
        var back = new int[10];
        Layout.CopyRows<int>(y, 3, 8, back, 0, 5, 2, 5);
        Assert.Equal(b, back);
        var flat = new int[6];
        Layout.CopyRows<int>(a, 0, 3, flat, 0, 3, 2, 3); // contiguous fast path
        Assert.Equal(a, flat);
    }

    public static IEnumerable<object[]> PadModes()
    {
        foreach (PadMode mode in Enum.GetValues<PadMode>()) yield return new object[] { mode };
    }

    [Theory]
    [MemberData(nameof(PadModes))]
    public void PadMatchesReference(PadMode mode)
    {
        (int[] Shape, int[] Pads)[] cases =
        {
            (new[] { 3, 5 }, new[] { 1, 2, 2, 1 }),
            (new[] { 3, 5 }, new[] { 0, 0, 0, 0 }),
            (new[] { 4, 6 }, new[] { -1, 2, 1, -3 }),
            (new[] { 2, 3, 4 }, new[] { 1, 0, 3, 2, 2, 1 }),
            (new[] { 2, 3, 4 }, new[] { 0, -1, -1, 1, 0, -2 }),
            (new[] { 1, 7 }, new[] { 2, 6, 1, 9 }), // pads longer than the axis
            (new[] { 17 }, new[] { 5, 3 }),
            (new[] { 2, 1, 33 }, new[] { 0, 2, 1, 1, 3, 0 }),
        };
        foreach (var (shape, pads) in cases)
        {
            int rank = shape.Length;
            var outShape = new int[rank];
            for (int d = 0; d < rank; d++) outShape[d] = shape[d] + pads[d] + pads[rank + d];
            int[] x = Iota(TestUtil.Product(shape));
            var y = new int[TestUtil.Product(outShape)];
            Layout.Pad<int>(x, y, shape, pads, mode, -99);
            int[] inStrides = TestUtil.Strides(shape);
            for (int i = 0; i < y.Length; i++)
            {
                int[] idx = TestUtil.Unravel(i, outShape);
                int src = 0;
                bool constant = false;
                for (int d = 0; d < rank; d++)
                {
                    int s = idx[d] - pads[d], n = shape[d];
                    if (s < 0 || s >= n)
                    {
                        switch (mode)
                        {
                            case PadMode.Constant: constant = true; break;
                            case PadMode.Edge: s = Math.Clamp(s, 0, n - 1); break;
                            case PadMode.Wrap: s = ((s % n) + n) % n; break;
                            case PadMode.Reflect:
                                if (n == 1) { s = 0; break; }
                                while (s < 0 || s >= n) { if (s < 0) s = -s; if (s >= n) s = 2 * (n - 1) - s; }
                                break;
                        }
                    }
                    src += s * inStrides[d];
                }
                int expected = constant ? -99 : x[src];
                Assert.True(expected == y[i], $"pad {mode} [{string.Join(",", shape)}] pads [{string.Join(",", pads)}] at {i}: {expected} != {y[i]}");
            }
        }
    }

    [Fact]
    public void SliceMatchesReferenceWithNegativeSteps()
    {
        (int[] Shape, int[] Starts, int[] Steps, int[] Out)[] cases =
        {
            (new[] { 7, 9 }, new[] { 6, 1 }, new[] { -2, 3 }, new[] { 4, 3 }),
            (new[] { 7, 9 }, new[] { 0, 8 }, new[] { 1, -1 }, new[] { 7, 9 }),
            (new[] { 2, 3, 17 }, new[] { 1, 0, 2 }, new[] { 1, 1, 1 }, new[] { 1, 3, 15 }),
            (new[] { 2, 3, 17 }, new[] { 1, 2, 16 }, new[] { -1, -1, -5 }, new[] { 2, 3, 4 }),
            (new[] { 65 }, new[] { 64 }, new[] { -1 }, new[] { 65 }),
            (new[] { 4, 5, 6 }, new[] { 0, 4, 0 }, new[] { 2, -2, 1 }, new[] { 2, 3, 6 }),
            (new[] { 3, 4 }, new[] { 1, 0 }, new[] { 1, 1 }, new[] { 0, 4 }),
        };
        foreach (var (shape, starts, steps, outShape) in cases)
        {
            float[] x = Array.ConvertAll(Iota(TestUtil.Product(shape)), v => (float)v);
            var y = new float[TestUtil.Product(outShape)];
            Layout.Slice<float>(x, y, shape, starts, steps, outShape);
            int[] inStrides = TestUtil.Strides(shape);
            for (int i = 0; i < y.Length; i++)
            {
                int[] idx = TestUtil.Unravel(i, outShape);
                int src = 0;
                for (int d = 0; d < shape.Length; d++) src += (starts[d] + idx[d] * steps[d]) * inStrides[d];
                Assert.True(x[src] == y[i], $"slice [{string.Join(",", shape)}] at {i}");
            }
        }
    }

    [Fact]
    public void BroadcastMatchesReference()
    {
        (int[] XShape, int[] Out, int[] Strides)[] cases =
        {
            (new[] { 3, 1, 5 }, new[] { 3, 4, 5 }, new[] { 5, 0, 1 }),
            (Array.Empty<int>(), new[] { 2, 3 }, new[] { 0, 0 }),
            (new[] { 7 }, new[] { 4, 7 }, new[] { 0, 1 }),
            (new[] { 4, 1 }, new[] { 2, 4, 33 }, new[] { 0, 1, 0 }),
            (new[] { 2, 3 }, new[] { 2, 3 }, new[] { 3, 1 }),
        };
        foreach (var (xShape, outShape, strides) in cases)
        {
            long[] x = Array.ConvertAll(Iota(TestUtil.Product(xShape)), v => (long)v);
            var y = new long[TestUtil.Product(outShape)];
            Layout.Broadcast<long>(x, y, outShape, strides);
            for (int i = 0; i < y.Length; i++)
            {
                int[] idx = TestUtil.Unravel(i, outShape);
                int src = 0;
                for (int d = 0; d < outShape.Length; d++) src += idx[d] * strides[d];
                Assert.True(x[src] == y[i], $"broadcast to [{string.Join(",", outShape)}] at {i}");
            }
        }
    }
}
