using System;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>Activations.Apply (the fused epilogue) against naive double-precision formulas, in place.</summary>
public class ActivationsTests
{
    private static double Reference(Activation kind, double x, double alpha, double beta) => kind switch
    {
        Activation.None => x,
        Activation.Relu => Math.Max(x, 0),
        Activation.Clip => Math.Min(Math.Max(x, alpha), beta),
        Activation.LeakyRelu => x < 0 ? alpha * x : x,
        Activation.HardSigmoid => Math.Max(0, Math.Min(1, alpha * x + beta)),
        Activation.HardSwish => x * Math.Max(0, Math.Min(1, x / 6 + 0.5)),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        Activation.Tanh => Math.Tanh(x),
        Activation.Gelu => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))),
        Activation.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
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
    [InlineData(Activation.None, 0f, 0f)]
    [InlineData(Activation.Relu, 0f, 0f)]
    [InlineData(Activation.Clip, 0f, 6f)]
    [InlineData(Activation.Clip, -0.5f, 0.75f)]
    [InlineData(Activation.LeakyRelu, 0.1f, 0f)]
    [InlineData(Activation.HardSigmoid, 0.2f, 0.5f)]
    [InlineData(Activation.HardSwish, 0f, 0f)]
    [InlineData(Activation.Sigmoid, 0f, 0f)]
    [InlineData(Activation.Tanh, 0f, 0f)]
    [InlineData(Activation.Gelu, 0f, 0f)]
    [InlineData(Activation.GeluTanh, 0f, 0f)]
    public void ApplyMatchesTheFormulaInPlace(Activation kind, float alpha, float beta)
    {
        foreach (int length in new[] { 1, 7, 33, 1000 })
        {
            var y = TestUtil.RandomArray(new Random(length), length, -8f, 8f);
            var x = (float[])y.Clone();
            Activations.Apply(kind, alpha, beta, y);
            for (int i = 0; i < length; i++)
            {
                double expected = Reference(kind, x[i], alpha, beta);
                Assert.True(Math.Abs(y[i] - expected) <= 1e-5 + 1e-5 * Math.Abs(expected), $"{kind} x={x[i]}: {y[i]} vs {expected}");
            }
        }
    }

    [Fact]
    public void UnknownActivationThrows() =>
        Assert.Throws<ArgumentException>(() => Activations.Apply((Activation)99, 0f, 0f, new float[3]));
}
