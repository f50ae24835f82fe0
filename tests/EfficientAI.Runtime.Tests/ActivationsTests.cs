using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>Activation.Apply (the fused epilogue) against naive double-precision formulas, in place.</summary>
public class ActivationsTests
{
    private static double Reference(ActivationKind kind, double x, double alpha, double beta) => kind switch
    {
        ActivationKind.None => x,
        ActivationKind.Relu => Math.Max(x, 0),
        ActivationKind.Clip => Math.Min(Math.Max(x, alpha), beta),
        ActivationKind.LeakyRelu => x < 0 ? alpha * x : x,
        ActivationKind.HardSigmoid => Math.Max(0, Math.Min(1, alpha * x + beta)),
        ActivationKind.HardSwish => x * Math.Max(0, Math.Min(1, x / 6 + 0.5)),
        ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-x)),
        ActivationKind.Tanh => Math.Tanh(x),
        ActivationKind.Gelu => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))),
        ActivationKind.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>erf by Simpson integration of the definition: simple and accurate enough to judge a 1e-5 tolerance.</summary>
    private static double Erf(double x)
    {
        // Simpson's rule on [0, |x|] with 2000 panels: error far below 1e-9 for |x| <= 8.
        int n = 2000;
        double a = Math.Abs(x), h = a / n, sum = 0;
        for (int i = 0; i <= n; i++)
        {
            double t = i * h, f = Math.Exp(-t * t);
            sum += (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2) * f;
        }
        return Math.Sign(x) * sum * h / 3 * 2 / Math.Sqrt(Math.PI);
    }

    [Theory]
    [InlineData(ActivationKind.None, 0f, 0f)]
    [InlineData(ActivationKind.Relu, 0f, 0f)]
    [InlineData(ActivationKind.Clip, 0f, 6f)]
    [InlineData(ActivationKind.Clip, -0.5f, 0.75f)]
    [InlineData(ActivationKind.LeakyRelu, 0.1f, 0f)]
    [InlineData(ActivationKind.HardSigmoid, 0.2f, 0.5f)]
    [InlineData(ActivationKind.HardSwish, 0f, 0f)]
    [InlineData(ActivationKind.Sigmoid, 0f, 0f)]
    [InlineData(ActivationKind.Tanh, 0f, 0f)]
    [InlineData(ActivationKind.Gelu, 0f, 0f)]
    [InlineData(ActivationKind.GeluTanh, 0f, 0f)]
    public void ApplyMatchesTheFormulaInPlace(ActivationKind kind, float alpha, float beta)
    {
        foreach (int length in new[] { 1, 7, 33, 1000 })
        {
            var y = TestUtil.RandomArray(new Random(length), length, -8f, 8f);
            var x = (float[])y.Clone();
            new Activation(kind, alpha, beta).Apply(y);
            for (int i = 0; i < length; i++)
            {
                double expected = Reference(kind, x[i], alpha, beta);
                Assert.True(Math.Abs(y[i] - expected) <= 1e-5 + 1e-5 * Math.Abs(expected), $"{kind} x={x[i]}: {y[i]} vs {expected}");
            }
        }
    }

    [Fact]
    public void UnknownActivationThrows() =>
        Assert.Throws<ArgumentException>(() => new Activation((ActivationKind)99).Apply(new float[3]));
}
