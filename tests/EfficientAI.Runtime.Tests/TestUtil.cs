// Shared helpers: seeded random data and tolerance checks against double-precision references.
using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

internal static class TestUtil
{
    /// <summary>Uniform values in [lo, hi) kept away from zero (|x| &gt;= 0.05) so relative checks are meaningful.</summary>
    public static float[] RandomArray(Random rng, int length, float lo = -2f, float hi = 2f)
    {
        var values = new float[length];
        // Values near zero are redrawn (they make relative errors meaningless), unless the range holds little else.
        bool avoidZero = hi > 0.1f || lo < -0.1f;
        for (int i = 0; i < length; i++)
        {
            float v;
            do v = lo + (float)rng.NextDouble() * (hi - lo); while (avoidZero && MathF.Abs(v) < 0.05f);
            values[i] = v;
        }
        return values;
    }

    public static int[] Strides(int[] shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { strides[d] = s; s *= shape[d]; }
        return strides;
    }

    public static int Product(int[] shape)
    {
        int p = 1;
        foreach (int s in shape) p *= s;
        return p;
    }

    /// <summary>Unflattens a row-major index.</summary>
    public static int[] Unravel(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { index[d] = flat % shape[d]; flat /= shape[d]; }
        return index;
    }

    /// <summary>Asserts |actual - expected| &lt;= rel * (|expected| + scale) + abs element by element (scale may be null).</summary>
    public static void AssertClose(double[] expected, ReadOnlySpan<float> actual, double rel, double abs, string context, double[]? scale = null)
    {
        Assert.True(actual.Length >= expected.Length, $"{context}: output too short");
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e)) { Assert.True(double.IsNaN(a), $"{context}: [{i}] expected NaN, got {a}"); continue; }
            if (double.IsInfinity(e)) { Assert.True(e == a, $"{context}: [{i}] expected {e}, got {a}"); continue; }
            double tol = rel * (Math.Abs(e) + (scale is null ? 0 : scale[i])) + abs;
            Assert.True(Math.Abs(a - e) <= tol, $"{context}: [{i}] expected {e}, got {a} (tol {tol})");
        }
    }

    /// <summary>erf in double by the all-positive series 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (2n+1)!!.</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax > 6) return Math.Sign(x);
        double term = ax, sum = ax;
        for (int n = 1; n < 200 && term > 1e-18 * sum; n++)
        {
            term *= 2 * ax * ax / (2 * n + 1);
            sum += term;
        }
        double r = 2 / Math.Sqrt(Math.PI) * Math.Exp(-ax * ax) * sum;
        return x < 0 ? -r : r;
    }
}
