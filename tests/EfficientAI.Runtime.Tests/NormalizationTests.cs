using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class NormalizationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SoftmaxMatchesReference(bool log)
    {
        var rng = new Random(log ? 1 : 2);
        // inner > 1024 crosses the column chunking of the strided path.
        foreach (var (outer, axis, inner) in new[] { (1, 1, 1), (2, 17, 1), (3, 5, 7), (1, 1000, 1), (2, 4, 1100), (4, 33, 3), (2, 1, 5) })
        {
            float[] x = TestUtil.RandomArray(rng, outer * axis * inner, -30f, 30f); // large spread: needs the max shift
            var expected = new double[x.Length];
            for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int a = 0; a < axis; a++) max = Math.Max(max, x[(o * axis + a) * inner + j]);
                for (int a = 0; a < axis; a++) sum += Math.Exp(x[(o * axis + a) * inner + j] - max);
                for (int a = 0; a < axis; a++)
                {
                    double shifted = x[(o * axis + a) * inner + j] - max;
                    expected[(o * axis + a) * inner + j] = log ? shifted - Math.Log(sum) : Math.Exp(shifted) / sum;
                }
            }
            var y = new float[x.Length];
            Normalization.Softmax(x, y, outer, axis, inner, log);
            string ctx = $"softmax log={log} [{outer},{axis},{inner}]";
            TestUtil.AssertClose(expected, y, 1e-5, log ? 1e-5 : 1e-7, ctx);
            Normalization.Softmax(x, x, outer, axis, inner, log);
            TestUtil.AssertClose(expected, x, 1e-5, log ? 1e-5 : 1e-7, ctx + " in place");
        }
    }

    [Fact]
    public void SoftmaxOfHugeValuesDoesNotOverflow()
    {
        float[] x = { 1000f, 999f, -1000f };
        var y = new float[3];
        Normalization.Softmax(x, y, 1, 3, 1, false);
        double e = Math.Exp(-1);
        TestUtil.AssertClose(new[] { 1 / (1 + e), e / (1 + e), 0 }, y, 1e-6, 1e-7, "huge softmax");
    }
}
