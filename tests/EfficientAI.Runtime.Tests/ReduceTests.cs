using System;
using System.Collections.Generic;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class ReduceTests
{
    private static readonly int[][] Shapes =
    {
        new[] { 3, 4, 5 }, new[] { 2, 1, 7, 33 }, new[] { 65 }, new[] { 17, 3 }, new[] { 1, 1 }, new[] { 2, 3, 2, 5, 3 },
    };

    public static IEnumerable<object[]> Ops()
    {
        foreach (ReduceOp op in Enum.GetValues<ReduceOp>()) yield return new object[] { op };
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void ComputeMatchesReferenceForEveryAxisSet(ReduceOp op)
    {
        var rng = new Random((int)op + 300);
        foreach (int[] shape in Shapes)
        {
            float[] x = op switch
            {
                ReduceOp.Prod => TestUtil.RandomArray(rng, TestUtil.Product(shape), 0.8f, 1.2f),
                ReduceOp.LogSum => TestUtil.RandomArray(rng, TestUtil.Product(shape), 0.1f, 2f),
                ReduceOp.LogSumExp => TestUtil.RandomArray(rng, TestUtil.Product(shape), -40f, 40f),
                _ => TestUtil.RandomArray(rng, TestUtil.Product(shape)),
            };
            for (int mask = 0; mask < 1 << shape.Length; mask++)
            {
                var flags = new int[shape.Length];
                for (int d = 0; d < shape.Length; d++) flags[d] = (mask >> d) & 1;
                var (expected, scale) = Reference(op, x, shape, flags);
                var y = new float[expected.Length];
                Reduce.Compute(op, x, y, shape, flags);
                TestUtil.AssertClose(expected, y, 1e-4, 1e-6, $"{op} shape [{string.Join(",", shape)}] flags [{string.Join(",", flags)}]", scale);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void EmptyReductionGivesIdentity(ReduceOp op)
    {
        int[] shape = { 4, 0, 3 };
        var y = new float[12];
        Reduce.Compute(op, ReadOnlySpan<float>.Empty, y, shape, new[] { 0, 1, 0 });
        float expected = op switch
        {
            ReduceOp.Prod => 1f,
            ReduceOp.Max or ReduceOp.LogSum or ReduceOp.LogSumExp => float.NegativeInfinity,
            ReduceOp.Min => float.PositiveInfinity,
            ReduceOp.Mean => float.NaN,
            _ => 0f,
        };
        foreach (float v in y) Assert.Equal(expected, v);
        // Kept axis of size 0: nothing to write, must not throw.
        Reduce.Compute(op, ReadOnlySpan<float>.Empty, Span<float>.Empty, shape, new[] { 1, 0, 1 });
    }

    private static (double[] Y, double[] Scale) Reference(ReduceOp op, float[] x, int[] shape, int[] flags)
    {
        bool any = Array.Exists(flags, f => f != 0);
        if (!any) return (Array.ConvertAll(x, v => (double)v), new double[x.Length]);
        var outShape = new List<int>();
        for (int d = 0; d < shape.Length; d++) if (flags[d] == 0) outShape.Add(shape[d]);
        int outCount = TestUtil.Product(outShape.ToArray());
        var groups = new List<double>[outCount];
        for (int i = 0; i < outCount; i++) groups[i] = new List<double>();
        for (int i = 0; i < x.Length; i++)
        {
            int[] idx = TestUtil.Unravel(i, shape);
            int o = 0;
            for (int d = 0; d < shape.Length; d++) if (flags[d] == 0) o = o * shape[d] + idx[d];
            groups[o].Add(x[i]);
        }
        var y = new double[outCount];
        var scale = new double[outCount];
        for (int o = 0; o < outCount; o++)
        {
            List<double> g = groups[o];
            double sum = 0, abs = 0, sq = 0, prod = 1, max = double.NegativeInfinity, min = double.PositiveInfinity;
            foreach (double v in g) { sum += v; abs += Math.Abs(v); sq += v * v; prod *= v; max = Math.Max(max, v); min = Math.Min(min, v); }
            double lse = 0;
            foreach (double v in g) lse += Math.Exp(v - max);
            (y[o], scale[o]) = op switch
            {
                ReduceOp.Sum => (sum, abs),
                ReduceOp.Mean => (sum / g.Count, abs / g.Count),
                ReduceOp.Max => (max, 0),
                ReduceOp.Min => (min, 0),
                ReduceOp.Prod => (prod, 0),
                ReduceOp.L1 => (abs, 0),
                ReduceOp.L2 => (Math.Sqrt(sq), 0),
                ReduceOp.LogSum => (Math.Log(sum), 0),
                ReduceOp.LogSumExp => (max + Math.Log(lse), 1),
                ReduceOp.SumSquare => (sq, 0),
                _ => throw new ArgumentOutOfRangeException(nameof(op)),
            };
        }
        return (y, scale);
    }
}
