using System;
using System.Linq;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>MixtureOfExperts.Compute against a naive top-k MoE in double.</summary>
public class MixtureOfExpertsTests
{
    [Theory]
    [InlineData(1, 4, 2, 16, 32, ExpertActivation.Relu, true, 1)]
    [InlineData(3, 8, 1, 20, 12, ExpertActivation.Gelu, false, 1)]
    [InlineData(7, 5, 5, 9, 33, ExpertActivation.Silu, true, 1)]
    [InlineData(4, 16, 3, 40, 17, ExpertActivation.Identity, false, 1)]
    [InlineData(5, 6, 2, 24, 20, ExpertActivation.GeluErf, true, 1)]
    // One token: each chosen expert is one row (the row kernel), odd and multi-panel widths; threads split the columns.
    [InlineData(1, 8, 2, 37, 83, ExpertActivation.Gelu, true, 1)]
    [InlineData(1, 8, 3, 70, 130, ExpertActivation.Silu, false, 2)]
    [InlineData(1, 32, 2, 64, 256, ExpertActivation.Relu, true, 2)]
    [InlineData(1, 5, 2, 3, 5, ExpertActivation.Relu, true, 2)]     // fewer panels than threads
    [InlineData(9, 6, 2, 33, 50, ExpertActivation.GeluErf, true, 2)] // token groups (the GEMM) split by columns
    [InlineData(3, 4, 4, 16, 20, ExpertActivation.Identity, false, 3)]
    public void MatchesReference(int tokens, int experts, int k, int hidden, int inter, ExpertActivation activation, bool normalize, int threads)
    {
        var rng = new Random(tokens * 100 + experts);
        float[] x = TestUtil.RandomArray(rng, tokens * hidden), logits = TestUtil.RandomArray(rng, tokens * experts);
        float[] w1 = TestUtil.RandomArray(rng, experts * inter * hidden, -0.5f, 0.5f), b1 = TestUtil.RandomArray(rng, experts * inter);
        float[] w2 = TestUtil.RandomArray(rng, experts * hidden * inter, -0.5f, 0.5f), b2 = TestUtil.RandomArray(rng, experts * hidden);
        var fc1 = new float[experts * Gemm.PackedLength(hidden, inter)];
        var fc2 = new float[experts * Gemm.PackedLength(inter, hidden)];
        for (int e = 0; e < experts; e++)
        {
            Gemm.PackB(w1.AsSpan(e * inter * hidden, inter * hidden), fc1.AsSpan(e * Gemm.PackedLength(hidden, inter)), hidden, inter, transB: true);
            Gemm.PackB(w2.AsSpan(e * hidden * inter, hidden * inter), fc2.AsSpan(e * Gemm.PackedLength(inter, hidden)), inter, hidden, transB: true);
        }
        var y = new float[tokens * hidden + 2];
        Array.Fill(y, float.NaN);
        var scratch = new float[MixtureOfExperts.ScratchFloats(tokens, experts, k, hidden, inter)];
        Array.Fill(scratch, float.NaN); // nothing may depend on the scratch's previous contents
        MixtureOfExperts.Compute(x, logits, fc1, b1, fc2, b2, y, scratch, tokens, experts, k, hidden, inter, activation, normalize, threads: threads);

        var expected = Reference(x, logits, (row, q) => w1[row * hidden + q], b1, (row, i) => w2[row * inter + i], b2, tokens, experts, k, hidden, inter, activation, normalize);
        TestUtil.AssertClose(expected, y.AsSpan(0, tokens * hidden), 1e-4, 1e-5, $"moe t{tokens} E{experts} k{k} {activation} threads {threads}");
        Assert.True(float.IsNaN(y[^1]) && float.IsNaN(y[^2]), "wrote past y");

        // Warm (the pool exists, the code is compiled): nothing allocated per call, on one thread or several.
        long before = GC.GetAllocatedBytesForCurrentThread();
        MixtureOfExperts.Compute(x, logits, fc1, b1, fc2, b2, y, scratch, tokens, experts, k, hidden, inter, activation, normalize, threads: threads);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(1f, 0f, float.PositiveInfinity, 3, 1)] // ONNX Runtime's defaults: silu(gate) * linear
    [InlineData(1.702f, 1f, 7f, 3, 1)]                // gpt-oss: the clamp bites at these magnitudes
    [InlineData(1f, 0f, float.PositiveInfinity, 1, 1)] // one token: the row kernel, routes compacted in place
    [InlineData(1.702f, 1f, 7f, 1, 2)]
    [InlineData(1.702f, 1f, 7f, 3, 2)]
    public void SwiGluMatchesReference(float alpha, float beta, float limit, int tokens, int threads)
    {
        const int experts = 5, k = 2, hidden = 12, inter = 10, width = 2 * inter;
        var rng = new Random(17);
        float[] x = TestUtil.RandomArray(rng, tokens * hidden, -2f, 2f), logits = TestUtil.RandomArray(rng, tokens * experts);
        float[] w1 = TestUtil.RandomArray(rng, experts * width * hidden, -2f, 2f), b1 = TestUtil.RandomArray(rng, experts * width);
        float[] w2 = TestUtil.RandomArray(rng, experts * hidden * inter, -0.5f, 0.5f), b2 = TestUtil.RandomArray(rng, experts * hidden);
        var fc1 = new float[experts * Gemm.PackedLength(hidden, width)];
        var fc2 = new float[experts * Gemm.PackedLength(inter, hidden)];
        for (int e = 0; e < experts; e++)
        {
            Gemm.PackB(w1.AsSpan(e * width * hidden, width * hidden), fc1.AsSpan(e * Gemm.PackedLength(hidden, width)), hidden, width, transB: true);
            Gemm.PackB(w2.AsSpan(e * hidden * inter, hidden * inter), fc2.AsSpan(e * Gemm.PackedLength(inter, hidden)), inter, hidden, transB: true);
        }
        var y = new float[tokens * hidden];
        var scratch = new float[MixtureOfExperts.ScratchFloats(tokens, experts, k, hidden, inter, gated: true)];
        Array.Fill(scratch, float.NaN);
        MixtureOfExperts.Compute(x, logits, fc1, b1, fc2, b2, y, scratch, tokens, experts, k, hidden, inter, ExpertActivation.SwiGlu, true, alpha, beta, limit, threads);

        var expected = new double[tokens * hidden];
        bool clamped = false;
        for (int t = 0; t < tokens; t++)
        {
            var l = logits.Skip(t * experts).Take(experts).Select(v => (double)v).ToArray();
            var p = l.Select(v => Math.Exp(v - l.Max())).ToArray();
            var chosen = Enumerable.Range(0, experts).OrderByDescending(e => p[e]).Take(k).ToArray();
            double total = chosen.Sum(e => p[e]);
            foreach (int e in chosen)
            {
                var h = new double[inter];
                for (int i = 0; i < inter; i++)
                {
                    double Row(int r)
                    {
                        double acc = b1[e * width + r];
                        for (int q = 0; q < hidden; q++) acc += (double)w1[(e * width + r) * hidden + q] * x[t * hidden + q];
                        return acc;
                    }
                    double gate = Row(2 * i), linear = Row(2 * i + 1);
                    clamped |= gate > limit || Math.Abs(linear) > limit;
                    gate = Math.Min(gate, limit);
                    linear = Math.Clamp(linear, -limit, limit);
                    h[i] = gate / (1 + Math.Exp(-alpha * gate)) * (linear + beta);
                }
                for (int o = 0; o < hidden; o++)
                {
                    double acc = b2[e * hidden + o];
                    for (int i = 0; i < inter; i++) acc += w2[(e * hidden + o) * inter + i] * h[i];
                    expected[t * hidden + o] += p[e] / total * acc;
                }
            }
        }
        Assert.True(float.IsPositiveInfinity(limit) || clamped, "the clamp case must clamp something");
        TestUtil.AssertClose(expected, y, 1e-4, 1e-4, $"swiglu alpha {alpha} beta {beta} limit {limit} tokens {tokens} threads {threads}");
    }

    [Fact]
    public void ShortScratchIsRefused()
    {
        var scratch = new float[MixtureOfExperts.ScratchFloats(1, 4, 2, 16, 16) - 1];
        Assert.Throws<ArgumentException>(() => MixtureOfExperts.Compute(new float[16], new float[4], new float[4 * 256], default, new float[4 * 256], default,
            new float[16], scratch, 1, 4, 2, 16, 16, ExpertActivation.Relu, true));
    }
    [Theory]
    [InlineData(1, 4, 2, 16, 32, ExpertActivation.Relu, true)]
    [InlineData(1, 8, 2, 9, 33, ExpertActivation.Gelu, false)]     // depths 9 and 33: rows padded to four bytes
    [InlineData(5, 6, 2, 24, 20, ExpertActivation.Silu, true)]
    [InlineData(16, 8, 2, 64, 96, ExpertActivation.Relu, true)]    // token groups of several rows per expert
    [InlineData(7, 5, 3, 17, 70, ExpertActivation.Identity, false)]
    public void Int8MatchesReference(int tokens, int experts, int k, int hidden, int inter, ExpertActivation activation, bool normalize)
    {
        // Int8 weights over the whole range (-128 included, as QMoE's q - 128 gives) with per-row scales; the reference
        // multiplies the float activations by the dequantized weights in double, so what differs is the per-call uint8
        // quantization of each expert's inputs: error RMS within 1.5% of the output's RMS.
        var rng = new Random(tokens * 31 + experts);
        float[] x = TestUtil.RandomArray(rng, tokens * hidden, -2f, 2f), logits = TestUtil.RandomArray(rng, tokens * experts);
        sbyte[] q1 = Enumerable.Range(0, experts * inter * hidden).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
        sbyte[] q2 = Enumerable.Range(0, experts * hidden * inter).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
        float[] s1 = TestUtil.RandomArray(rng, experts * inter, 0.001f, 0.01f), s2 = TestUtil.RandomArray(rng, experts * hidden, 0.001f, 0.01f);
        float[] b1 = TestUtil.RandomArray(rng, experts * inter), b2 = TestUtil.RandomArray(rng, experts * hidden);
        int p1 = Int8PanelGemm.PackedLength(hidden, inter), p2 = Int8PanelGemm.PackedLength(inter, hidden);
        var fc1 = new sbyte[experts * p1];
        var fc2 = new sbyte[experts * p2];
        var sums1 = new int[experts * inter];
        var sums2 = new int[experts * hidden];
        for (int e = 0; e < experts; e++)
        {
            Int8PanelGemm.PackB(q1.AsSpan(e * inter * hidden, inter * hidden), true, hidden, inter, fc1.AsSpan(e * p1, p1), sums1.AsSpan(e * inter, inter));
            Int8PanelGemm.PackB(q2.AsSpan(e * hidden * inter, hidden * inter), true, inter, hidden, fc2.AsSpan(e * p2, p2), sums2.AsSpan(e * hidden, hidden));
        }
        var y = new float[tokens * hidden + 2];
        Array.Fill(y, float.NaN);
        var scratch = new float[MixtureOfExperts.ScratchFloatsInt8(tokens, experts, k, hidden, inter)];
        Array.Fill(scratch, float.NaN);
        MixtureOfExperts.ComputeInt8(x, logits, fc1, sums1, s1, b1, fc2, sums2, s2, b2, y, scratch, tokens, experts, k, hidden, inter, activation, normalize);

        // Dequantized weights: q * the row's scale.
        var expected = Reference(x, logits, (row, j) => (double)q1[row * hidden + j] * s1[row], b1, (row, i) => (double)q2[row * inter + i] * s2[row], b2,
            tokens, experts, k, hidden, inter, activation, normalize);
        double rms = Math.Sqrt(expected.Average(v => v * v));
        double errRms = Math.Sqrt(expected.Select((v, i) => (v - y[i]) * (v - y[i])).Average());
        Assert.True(rms > 0 && errRms < 0.015 * rms, $"int8 MoE error RMS {errRms:G3} vs output RMS {rms:G3}");
        Assert.True(float.IsNaN(y[^1]) && float.IsNaN(y[^2]), "wrote past y");
        long before = GC.GetAllocatedBytesForCurrentThread();
        MixtureOfExperts.ComputeInt8(x, logits, fc1, sums1, s1, b1, fc2, sums2, s2, b2, y, scratch, tokens, experts, k, hidden, inter, activation, normalize);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// A naive top-k MoE in double: softmax over each token's logits, the k largest, weights renormalized or not, and
    /// act(x W1[e]^T + b1) W2[e]^T + b2 per chosen expert; w1(row, q) and w2(row, i) give expert rows e * inter + i and
    /// e * hidden + o of the weights.
    /// </summary>
    private static double[] Reference(float[] x, float[] logits, Func<int, int, double> w1, float[] b1, Func<int, int, double> w2, float[] b2,
        int tokens, int experts, int k, int hidden, int inter, ExpertActivation activation, bool normalize)
    {
        var expected = new double[tokens * hidden];
        for (int t = 0; t < tokens; t++)
        {
            var l = logits.Skip(t * experts).Take(experts).Select(v => (double)v).ToArray();
            var p = l.Select(v => Math.Exp(v - l.Max())).ToArray();
            double sum = p.Sum();
            var chosen = Enumerable.Range(0, experts).OrderByDescending(e => p[e]).Take(k).ToArray();
            double total = chosen.Sum(e => p[e]);
            foreach (int e in chosen)
            {
                double weight = normalize ? p[e] / total : p[e] / sum;
                var h = new double[inter];
                for (int i = 0; i < inter; i++)
                {
                    double acc = b1[e * inter + i];
                    for (int q = 0; q < hidden; q++) acc += w1(e * inter + i, q) * x[t * hidden + q];
                    h[i] = activation switch
                    {
                        ExpertActivation.Relu => Math.Max(acc, 0),
                        ExpertActivation.Gelu => 0.5 * acc * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (acc + 0.044715 * acc * acc * acc))),
                        ExpertActivation.Silu => acc / (1 + Math.Exp(-acc)),
                        ExpertActivation.GeluErf => 0.5 * acc * (1 + TestUtil.Erf(acc / Math.Sqrt(2))),
                        _ => acc,
                    };
                }
                for (int o = 0; o < hidden; o++)
                {
                    double acc = b2[e * hidden + o];
                    for (int i = 0; i < inter; i++) acc += w2(e * hidden + o, i) * h[i];
                    expected[t * hidden + o] += weight * acc;
                }
            }
        }
        return expected;
    }
}
