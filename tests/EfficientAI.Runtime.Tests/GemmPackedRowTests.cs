using System;
using System.Collections.Generic;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>Gemm.RowPacked (one row against a packed operand, panel after panel) against a double reference, every vector width.</summary>
public class GemmPackedRowTests
{
    // n: one column, partial panels, one and several panels; k: below one 4-step, its tails (1-3 left), and long.
    private static readonly (int N, int K)[] Sizes = { (1, 1), (10, 3), (16, 4), (17, 5), (47, 37), (130, 300), (64, 2), (33, 1027) };

    public static IEnumerable<object[]> Widths() => new[] { new object[] { 16 }, new object[] { 8 }, new object[] { 4 }, new object[] { 1 } };

    [Theory]
    [MemberData(nameof(Widths))]
    public unsafe void MatchesReferenceOnEveryPanelRange(int width)
    {
        var rng = new Random(977 + width);
        foreach (var (n, k) in Sizes)
        {
            float[] x = TestUtil.RandomArray(rng, k), b = TestUtil.RandomArray(rng, k * n), bias = TestUtil.RandomArray(rng, n);
            var packed = new float[Gemm.PackedLength(k, n)];
            Gemm.PackB(b, packed, k, n, transB: false);
            var next = TestUtil.RandomArray(rng, 64); // the prefetch past the stream's end lands here (or past it: prefetches never fault)
            int panels = (n + Gemm.PanelWidth - 1) / Gemm.PanelWidth;
            foreach (var act in new[] { Activation.None, Activation.Relu, new Activation(ActivationKind.LeakyRelu, 0.1f), new Activation(ActivationKind.Clip, -0.5f, 0.75f), new Activation(ActivationKind.Gelu) })
            foreach (bool withBias in new[] { false, true })
            foreach (var (q0, q1) in new[] { (0, panels), (0, panels / 2), (panels / 2, panels) })
            {
                var y = new float[n + 2];
                Array.Fill(y, float.NaN);
                fixed (float* px = x, pp = packed, pb = bias, py = y, pn = next)
                    Gemm.RowPacked(px, pp, withBias ? pb : null, py, n, k, q0, q1, act, q0 == 0 ? pn : null, width);
                string context = $"row n{n} k{k} panels [{q0}, {q1}) bias {withBias} {act.Kind} w{width}";
                for (int j = 0; j < y.Length; j++)
                {
                    if (j < q0 * Gemm.PanelWidth || j >= Math.Min(n, q1 * Gemm.PanelWidth))
                    {
                        Assert.True(float.IsNaN(y[j]), $"{context}: wrote column {j} outside its panels");
                        continue;
                    }
                    double acc = withBias ? bias[j] : 0;
                    double scale = Math.Abs(acc);
                    for (int p = 0; p < k; p++)
                    {
                        acc += (double)x[p] * b[p * n + j];
                        scale += Math.Abs((double)x[p] * b[p * n + j]);
                    }
                    double expected = act.Kind switch
                    {
                        ActivationKind.Relu => Math.Max(acc, 0),
                        ActivationKind.LeakyRelu => acc < 0 ? 0.1 * acc : acc,
                        ActivationKind.Clip => Math.Clamp(acc, -0.5, 0.75),
                        ActivationKind.Gelu => 0.5 * acc * (1 + TestUtil.Erf(acc / Math.Sqrt(2))),
                        _ => acc,
                    };
                    Assert.True(Math.Abs(y[j] - expected) <= 1e-5 * scale + 1e-5, $"{context}: column {j} is {y[j]}, expected {expected}");
                }
            }
        }
    }
}
