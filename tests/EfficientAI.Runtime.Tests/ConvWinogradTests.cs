using System;
using System.Collections.Generic;
using Xunit;
using Xunit.Abstractions;

namespace EfficientAI.Runtime.Tests;

/// <summary>Conv.Conv2DWinograd (F(4x4, 3x3), weights transformed ahead) against a double-precision direct convolution.</summary>
public class ConvWinogradTests
{
    private readonly ITestOutputHelper _output;

    public ConvWinogradTests(ITestOutputHelper output) => _output = output;

    public record Case(string Name, int N, int C, int H, int W, int M, int PadTop, int PadLeft, int PadBottom, int PadRight, int Dilation, bool Bias)
    {
        public int OH => H + PadTop + PadBottom - 2 * Dilation;
        public int OW => W + PadLeft + PadRight - 2 * Dilation;
        public override string ToString() => Name;
    }

    public static IEnumerable<object[]> Cases()
    {
        Case[] cases =
        {
            new("same-16x16", 1, 8, 16, 16, 8, 1, 1, 1, 1, 1, true),
            new("same-odd-edges", 2, 5, 13, 11, 7, 1, 1, 1, 1, 1, true), // tiles cut by the bottom and right edges
            new("valid", 1, 6, 10, 9, 4, 0, 0, 0, 0, 1, false),
            new("asymmetric-pad", 1, 4, 9, 12, 5, 2, 0, 1, 2, 1, true),
            new("many-blocks", 1, 3, 40, 37, 17, 1, 1, 1, 1, 1, true), // 100 tiles: several 32-tile blocks and a part panel
            new("deep", 1, 300, 6, 6, 9, 1, 1, 1, 1, 1, true), // c > 256: the GEMM's k blocks accumulate
            new("dilated-2", 1, 4, 19, 17, 6, 2, 2, 2, 2, 2, true),
            new("dilated-5-same", 1, 3, 23, 26, 4, 5, 5, 5, 5, 5, true), // M-LSD's decoder
            new("dilated-3-valid", 2, 2, 15, 14, 3, 0, 1, 0, 1, 3, false),
            new("wide-rows", 1, 5, 9, 75, 6, 1, 1, 1, 1, 1, true), // 19 tiles a row: segments of 16 and 3, a part last tile
            new("interior-rows", 2, 3, 6, 150, 4, 1, 1, 1, 1, 1, true), // rows wide enough for loads with no edge
            new("one-tile-rows", 1, 4, 30, 4, 5, 1, 1, 1, 1, 1, false), // 16 segments per panel

        };
        foreach (var c in cases) yield return new object[] { c };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesDirectConvolution(Case t)
    {
        var rng = new Random(t.Name.Length * 17 + t.C);
        int oH = t.OH, oW = t.OW, d = t.Dilation;
        float[] x = TestUtil.RandomArray(rng, t.N * t.C * t.H * t.W);
        float[] w = TestUtil.RandomArray(rng, t.M * t.C * 9);
        float[] bias = t.Bias ? TestUtil.RandomArray(rng, t.M) : Array.Empty<float>();
        var expected = new double[t.N * t.M * oH * oW];
        var scale = new double[expected.Length];
        for (int n = 0; n < t.N; n++)
        for (int oc = 0; oc < t.M; oc++)
        for (int oh = 0; oh < oH; oh++)
        for (int ow = 0; ow < oW; ow++)
        {
            double sum = bias.Length > 0 ? bias[oc] : 0, abs = Math.Abs(sum);
            for (int ic = 0; ic < t.C; ic++)
            for (int kh = 0; kh < 3; kh++)
            for (int kw = 0; kw < 3; kw++)
            {
                int ih = oh - t.PadTop + kh * d, iw = ow - t.PadLeft + kw * d;
                if (ih < 0 || ih >= t.H || iw < 0 || iw >= t.W) continue;
                double term = (double)x[((n * t.C + ic) * t.H + ih) * t.W + iw] * w[((oc * t.C + ic) * 3 + kh) * 3 + kw];
                sum += term;
                abs += Math.Abs(term);
            }
            int idx = ((n * t.M + oc) * oH + oh) * oW + ow;
            expected[idx] = sum;
            scale[idx] = abs;
        }

        var u = new float[Conv.WinogradPositions * t.M * t.C];
        Conv.WinogradWeights(w, u, t.M, t.C);
        var y = new float[expected.Length];
        double worst = 0;
        // One 16-tile panel per block, the generator's 32-tile block, then shared among threads; scratch full of NaN
        // must not leak into y. Activations in registers (Relu, LeakyRelu) and on the finished output (Sigmoid).
        // Both transform paths: AVX-512 row shuffles (undilated, where the machine has AVX-512) and per-lane gathers.
        foreach (var (blockTiles, threads, shuffles) in new[] { (16, 1, true), (Conv.WinogradBlockTiles, 1, true), (Conv.WinogradBlockTiles, 2, true), (16, 3, true),
            (16, 1, false), (Conv.WinogradBlockTiles, 2, false), (48, 1, true) })
        {
            foreach (var act in new[] { Activation.None, Activation.Relu, new Activation(ActivationKind.LeakyRelu, 0.2f), new Activation(ActivationKind.Sigmoid) })
            {
                var scratch = new float[Conv.WinogradScratchFloats(t.C, t.M, blockTiles) * threads];
                Array.Fill(scratch, float.NaN);
                Array.Fill(y, float.NaN);
                Conv.Conv2DWinograd(x, u, bias, y, t.N, t.C, t.H, t.W, t.M, oH, oW, t.PadTop, t.PadLeft, d, scratch, act, threads, shuffles);
                var activated = Array.ConvertAll(expected, v => act.Kind switch
                {
                    ActivationKind.Relu => Math.Max(v, 0),
                    ActivationKind.LeakyRelu => v < 0 ? 0.2 * v : v,
                    ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-v)),
                    _ => v,
                });
                for (int i = 0; i < y.Length; i++) worst = Math.Max(worst, Math.Abs(y[i] - activated[i]) / (Math.Abs(activated[i]) + scale[i]));
                // Winograd's transforms scale intermediates by up to 8x: 1e-5 of the sum of |terms| (direct: 1e-4 too).
                TestUtil.AssertClose(activated, y, 1e-5, 1e-6, $"{t.Name} block {blockTiles} threads {threads} shuffles {shuffles} {act.Kind}", scale);
            }
        }
        _output.WriteLine($"{t.Name}: worst |error| / (|expected| + sum |terms|) = {worst:E2}");

        // ResidualAddFusion: y = act(conv + bias + residual), the residual in a span of its own and as y itself (the
        // output planned in its memory), on both transform paths, activated in registers (Relu, Clip) and after (Sigmoid).
        float[] residual = TestUtil.RandomArray(rng, y.Length);
        var residualScale = Array.ConvertAll(scale, v => v);
        for (int i = 0; i < y.Length; i++) residualScale[i] += Math.Abs(residual[i]);
        foreach (var (threads, shuffles, inPlace) in new[] { (1, true, false), (1, true, true), (2, false, true), (1, false, false) })
        {
            foreach (var act in new[] { Activation.Relu, new Activation(ActivationKind.Clip, -0.5f, 0.7f), new Activation(ActivationKind.Sigmoid) })
            {
                var scratch = new float[Conv.WinogradScratchFloats(t.C, t.M, Conv.WinogradBlockTiles) * threads];
                Array.Fill(scratch, float.NaN);
                if (inPlace) residual.CopyTo(y);
                else Array.Fill(y, float.NaN);
                Conv.Conv2DWinograd(x, u, bias, y, t.N, t.C, t.H, t.W, t.M, oH, oW, t.PadTop, t.PadLeft, d, scratch, act, threads, shuffles, inPlace ? y : residual);
                var activated = new double[y.Length];
                for (int i = 0; i < y.Length; i++)
                {
                    double v = expected[i] + residual[i];
                    activated[i] = act.Kind switch
                    {
                        ActivationKind.Relu => Math.Max(v, 0),
                        ActivationKind.Clip => Math.Min(0.7, Math.Max(-0.5, v)),
                        _ => 1 / (1 + Math.Exp(-v)),
                    };
                }
                TestUtil.AssertClose(activated, y, 1e-5, 1e-6, $"{t.Name} residual threads {threads} shuffles {shuffles} in place {inPlace} {act.Kind}", residualScale);
            }
        }
    }

    [Fact]
    public void RejectsScratchBelowOnePanel()
    {
        var x = new float[2 * 8 * 8];
        var u = new float[Conv.WinogradPositions * 2 * 2];
        var y = new float[2 * 8 * 8];
        var scratch = new float[Conv.WinogradScratchFloats(2, 2, 16) - 1];
        Assert.Throws<ArgumentException>(() => Conv.Conv2DWinograd(x, u, default, y, 1, 2, 8, 8, 2, 8, 8, 1, 1, 1, scratch, Activation.None));
    }
}
