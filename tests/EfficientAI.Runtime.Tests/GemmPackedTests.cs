using System;
using System.Collections.Generic;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>GEMM against a compile-time packed right operand (Gemm.PackB / Gemm.ComputePacked), every vector width.</summary>
public class GemmPackedTests
{
    // m: 1 (GEMV), remainders of the 6-row tile, several tiles; n: partial panels, one, two, odd panel counts;
    // k: 1, odd, and > 256 (two and three depth blocks, the bias and activation only once).
    private static readonly (int M, int N, int K)[] Sizes =
    {
        (1, 1, 1), (1, 10, 784), (1, 128, 37), (2, 3, 5), (6, 16, 8), (7, 33, 17), (13, 48, 300), (5, 47, 600), (12, 70, 64), (19, 130, 3),
        (10, 40, 33), (9, 20, 260), (28, 32, 24), // remainders past the 6-row tiles in 4- and 2-row tiles
    };

    public static IEnumerable<object[]> Widths() => new[] { new object[] { 16 }, new object[] { 8 }, new object[] { 4 }, new object[] { 1 } };

    [Theory]
    [MemberData(nameof(Widths))]
    public void MatchesReferenceWithAndWithoutBias(int width)
    {
        var rng = new Random(4242 + width);
        foreach (var (m, n, k) in Sizes)
        {
            foreach (bool transB in new[] { false, true })
            {
                float[] a = TestUtil.RandomArray(rng, m * k), b = TestUtil.RandomArray(rng, k * n), bias = TestUtil.RandomArray(rng, n);
                var packed = new float[Gemm.PackedLength(k, n)];
                Gemm.PackB(b, packed, k, n, transB, alpha: 0.5f);
                foreach (bool withBias in new[] { false, true })
                {
                    var (expected, scale) = Reference(a, b, withBias ? bias : null, m, n, k, transB, 0.5f);
                    var y = new float[m * n + 3];
                    Array.Fill(y, float.NaN); // every element of [m, n] must be written, nothing past it
                    Gemm.ComputePacked(a, packed, withBias ? bias : default, y, m, n, k, Activation.None, width);
                    string context = $"packed m{m} n{n} k{k} tB{transB} bias{withBias} w{width}";
                    TestUtil.AssertClose(expected, y.AsSpan(0, m * n), 1e-4, 1e-6, context, scale);
                    for (int i = m * n; i < y.Length; i++) Assert.True(float.IsNaN(y[i]), context + ": wrote past y");
                }
            }
        }
    }

    public static IEnumerable<object[]> Activations()
    {
        foreach (int width in new[] { 16, 8, 4, 1 })
        {
            yield return new object[] { ActivationKind.Relu, 0f, 0f, width };
            yield return new object[] { ActivationKind.LeakyRelu, 0.1f, 0f, width };
            yield return new object[] { ActivationKind.Clip, -0.5f, 0.75f, width };
            yield return new object[] { ActivationKind.HardSigmoid, 0.2f, 0.5f, width };
            yield return new object[] { ActivationKind.HardSwish, 0f, 0f, width };
            yield return new object[] { ActivationKind.Sigmoid, 0f, 0f, width };
            yield return new object[] { ActivationKind.Tanh, 0f, 0f, width };
            yield return new object[] { ActivationKind.Gelu, 0f, 0f, width };
            yield return new object[] { ActivationKind.GeluTanh, 0f, 0f, width };
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void AppliesTheActivationOnceAfterTheLastDepthBlock(ActivationKind kind, float alpha, float beta, int width)
    {
        var rng = new Random(99 + (int)kind * 7 + width);
        var act = new Activation(kind, alpha, beta);
        foreach (var (m, n, k) in new[] { (7, 33, 17), (13, 21, 600), (1, 40, 300) })
        {
            float[] a = TestUtil.RandomArray(rng, m * k, -0.3f, 0.3f), b = TestUtil.RandomArray(rng, k * n, -0.3f, 0.3f), bias = TestUtil.RandomArray(rng, n);
            var packed = new float[Gemm.PackedLength(k, n)];
            Gemm.PackB(b, packed, k, n, transB: false);
            var (linear, scale) = Reference(a, b, bias, m, n, k, false, 1f);
            var expected = Array.ConvertAll(linear, v => ActivationReference(kind, alpha, beta, v));
            var y = new float[m * n];
            Gemm.ComputePacked(a, packed, bias, y, m, n, k, act, width);
            TestUtil.AssertClose(expected, y, 1e-4, 1e-5, $"{kind} m{m} n{n} k{k} w{width}", scale);
            Assert.Contains(y, v => v != 0f);
        }
    }

    [Fact]
    public void ReluLetsNaNThrough()
    {
        float[] a = { float.NaN, 1f }, b = { 1f, 1f };
        var packed = new float[Gemm.PackedLength(2, 1)];
        Gemm.PackB(b, packed, 2, 1, transB: false);
        foreach (int width in new[] { 16, 8, 4, 1 })
        {
            var y = new float[1];
            Gemm.ComputePacked(a, packed, default, y, 1, 1, 2, Activation.Relu, width);
            Assert.True(float.IsNaN(y[0]), $"width {width}");
        }
    }

    private static double ActivationReference(ActivationKind kind, float alpha, float beta, double x) => kind switch
    {
        ActivationKind.Relu => Math.Max(x, 0),
        ActivationKind.LeakyRelu => x < 0 ? alpha * x : x,
        ActivationKind.Clip => Math.Min(Math.Max(x, alpha), beta),
        ActivationKind.HardSigmoid => Math.Max(0, Math.Min(1, alpha * x + beta)),
        ActivationKind.HardSwish => x * Math.Max(0, Math.Min(1, x / 6 + 0.5)),
        ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-x)),
        ActivationKind.Tanh => Math.Tanh(x),
        ActivationKind.Gelu => 0.5 * x * (1 + TestUtil.Erf(x / Math.Sqrt(2))),
        ActivationKind.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        _ => x,
    };

    private static (double[] Y, double[] Scale) Reference(float[] a, float[] b, float[]? bias, int m, int n, int k, bool transB, float alpha)
    {
        var y = new double[m * n];
        var scale = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double v = (double)a[i * k + p] * (transB ? b[j * k + p] : b[p * n + j]);
                    sum += v;
                    abs += Math.Abs(v);
                }
                y[i * n + j] = alpha * sum + (bias?[j] ?? 0);
                scale[i * n + j] = Math.Abs(alpha) * abs + Math.Abs(bias?[j] ?? 0);
            }
        }
        return (y, scale);
    }
}
