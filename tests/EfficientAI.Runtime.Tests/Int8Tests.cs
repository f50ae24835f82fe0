using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class Int8Tests
{
    // Odd sizes hit every row, column-block and depth tail; k = 1..3 is a lone partial quad.
    private static readonly (int M, int N, int K)[] Sizes =
    {
        (1, 1, 1), (1, 17, 33), (1, 130, 37), (1, 64, 5), (3, 7, 5), (4, 16, 8), (5, 33, 3), (7, 65, 17), (17, 31, 300), (2, 130, 2), (9, 5, 1027),
    };

    public static IEnumerable<object[]> Paths() =>
        Enum.GetValues<Int8Gemm.Path>().Select(p => new object[] { (int)p });

    [Fact]
    public void ThisMachineHasTheVectorPaths()
    {
        // The kernels run on every supported path below; on x64 the test machine is expected to offer them all.
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            Assert.True(Int8Gemm.IsSupported(Int8Gemm.Path.Avx2));
            Assert.NotEqual(Int8Gemm.Path.Scalar, Int8Gemm.Best);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void MultiplyIsExact(int pathId)
    {
        var path = (Int8Gemm.Path)pathId;
        if (!Int8Gemm.IsSupported(path)) return; // another architecture's path; its sibling runs there
        var rng = new Random(77 + (int)path);
        foreach (var (m, n, k) in Sizes)
        {
            foreach (bool aSigned in new[] { false, true })
                foreach (bool bUnsigned in new[] { false, true })
                    foreach (bool perColumn in new[] { false, true })
                    {
                        int lda = k + (m % 3); // a row stride wider than k
                        var a = new byte[(m - 1) * lda + k];
                        rng.NextBytes(a);
                        var bRaw = new byte[k * n];
                        rng.NextBytes(bRaw);
                        int aZero = aSigned ? rng.Next(-128, 128) : rng.Next(0, 256);
                        var bZeros = Enumerable.Range(0, perColumn ? n : 1).Select(_ => bUnsigned ? rng.Next(0, 256) : rng.Next(-128, 128)).ToArray();
                        bool transposed = (m + n) % 2 == 0;

                        var packed = new sbyte[Int8Gemm.PackedLength(k, n)];
                        var colSums = new int[n];
                        int[] packedZeros;
                        if (bUnsigned)
                        {
                            Int8Gemm.PackB(Transpose(bRaw, k, n, transposed), transposed, k, n, packed, colSums);
                            packedZeros = bZeros.Select(z => z - 128).ToArray();
                        }
                        else
                        {
                            Int8Gemm.PackB(Transpose(bRaw, k, n, transposed).Select(v => (sbyte)v).ToArray(), transposed, k, n, packed, colSums);
                            packedZeros = bZeros;
                        }
                        int ldc = n + 1;
                        var c = new int[(m - 1) * ldc + n];
                        Array.Fill(c, int.MinValue);
                        Int8Gemm.Multiply(a, lda, aSigned, aZero, packed, colSums, packedZeros, c, ldc, m, n, k, path);

                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < n; j++)
                            {
                                long expected = 0;
                                for (int p = 0; p < k; p++)
                                {
                                    int av = aSigned ? (sbyte)a[i * lda + p] : a[i * lda + p];
                                    int bv = bUnsigned ? bRaw[p * n + j] : (sbyte)bRaw[p * n + j];
                                    expected += (long)(av - aZero) * (bv - bZeros[perColumn ? j : 0]);
                                }
                                Assert.True(expected == c[i * ldc + j],
                                    $"{path} m{m} n{n} k{k} aSigned={aSigned} bUnsigned={bUnsigned} perColumn={perColumn} [{i},{j}]: {c[i * ldc + j]} != {expected}");
                            }
                    }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void ExtremeValuesDoNotSaturate(int pathId)
    {
        var path = (Int8Gemm.Path)pathId;
        // 255 * -128 pairs overflow int16 (vpmaddubsw would saturate); the sums must stay exact.
        if (!Int8Gemm.IsSupported(path)) return;
        int m = 3, n = 18, k = 4099;
        var a = Enumerable.Repeat((byte)255, m * k).ToArray();
        var b = Enumerable.Repeat((sbyte)-128, k * n).ToArray();
        var packed = new sbyte[Int8Gemm.PackedLength(k, n)];
        var colSums = new int[n];
        Int8Gemm.PackB(b, false, k, n, packed, colSums);
        var c = new int[m * n];
        Int8Gemm.Multiply(a, k, false, 0, packed, colSums, new[] { 0 }, c, n, m, n, k, path);
        Assert.All(c, v => Assert.Equal(255 * -128 * k, v));
    }

    private static byte[] Transpose(byte[] b, int k, int n, bool transposed)
    {
        if (!transposed) return b;
        var t = new byte[b.Length];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++) t[j * k + p] = b[p * n + j];
        return t;
    }

    [Theory]
    [InlineData(1, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, false)]
    [InlineData(2, 4, 9, 5, 6, 3, 2, 2, 1, 1, 0, 1, 2, 2, true)]
    [InlineData(1, 6, 8, 8, 6, 3, 3, 1, 2, 1, 1, 2, 1, 6, false)]
    [InlineData(1, 5, 1, 11, 7, 1, 4, 1, 1, 0, 2, 1, 1, 1, true)]
    [InlineData(1, 17, 5, 5, 19, 1, 1, 1, 1, 0, 0, 1, 1, 1, false)]
    public void ConvMatchesReference(int n, int c, int h, int w, int m, int kH, int kW, int sH, int sW, int pT, int pL, int dH, int dW, int group, bool signedX)
    {
        var rng = new Random(n * 1000 + c * 100 + m + group);
        int oH = (h + 2 * pT - dH * (kH - 1) - 1) / sH + 1, oW = (w + 2 * pL - dW * (kW - 1) - 1) / sW + 1;
        int cg = c / group, mg = m / group, depth = cg * kH * kW;
        var x = new byte[n * c * h * w];
        rng.NextBytes(x);
        var wt = new sbyte[m * depth];
        for (int i = 0; i < wt.Length; i++) wt[i] = (sbyte)rng.Next(-128, 128);
        int xZero = signedX ? rng.Next(-128, 128) : rng.Next(0, 256);
        var wZeros = Enumerable.Range(0, m).Select(_ => rng.Next(-10, 10)).ToArray();

        int packedLength = Int8Gemm.PackedLength(depth, mg);
        var packed = new sbyte[group * packedLength];
        var colSums = new int[m];
        for (int g = 0; g < group; g++)
            Int8Gemm.PackB(wt.AsSpan(g * mg * depth, mg * depth), true, depth, mg, packed.AsSpan(g * packedLength), colSums.AsSpan(g * mg));
        var scratch = new byte[Int8Conv.ScratchBytes(c, m, kH, kW, oH, oW, group)];
        var y = new int[n * m * oH * oW];
        Int8Conv.ToInt32(x, signedX, xZero, packed, colSums, wZeros, y, scratch, n, c, h, w, m, kH, kW, oH, oW, sH, sW, pT, pL, dH, dW, group);

        for (int img = 0; img < n; img++)
            for (int oc = 0; oc < m; oc++)
                for (int oh = 0; oh < oH; oh++)
                    for (int ow = 0; ow < oW; ow++)
                    {
                        long sum = 0;
                        int g = oc / mg;
                        for (int ic = 0; ic < cg; ic++)
                            for (int kh = 0; kh < kH; kh++)
                                for (int kw = 0; kw < kW; kw++)
                                {
                                    int ih = oh * sH - pT + kh * dH, iw = ow * sW - pL + kw * dW;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue; // padding is a real zero
                                    byte raw = x[((img * c + g * cg + ic) * h + ih) * w + iw];
                                    int xv = signedX ? (sbyte)raw : raw;
                                    sum += (long)(xv - xZero) * (wt[((oc * cg) + ic) * kH * kW + kh * kW + kw] - wZeros[oc]);
                                }
                        Assert.Equal(sum, y[((img * m + oc) * oH + oh) * oW + ow]);
                    }
    }

    [Fact]
    public void QuantizeRoundsHalfToEvenAndSaturates()
    {
        var x = new[] { 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 1000f, -1000f, 3.2f };
        var u = new byte[x.Length];
        Quantize.ToUInt8(x, new[] { 1f }, new byte[] { 10 }, u, 1, 1, x.Length);
        Assert.Equal(new byte[] { 10, 12, 12, 10, 8, 255, 0, 13 }, u);
        var s = new sbyte[x.Length];
        Quantize.ToInt8(x, new[] { 1f }, default, s, 1, 1, x.Length);
        Assert.Equal(new sbyte[] { 0, 2, 2, 0, -2, 127, -128, 3 }, s);

        // Per channel along the middle axis of [2, 2, 2].
        var xc = new[] { 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f };
        var yc = new sbyte[8];
        Quantize.ToInt8(xc, new[] { 1f, 2f }, new sbyte[] { 0, 1 }, yc, 2, 2, 2);
        Assert.Equal(new sbyte[] { 1, 2, 3, 3, 5, 6, 5, 5 }, yc);
        var back = new float[8];
        Quantize.FromInt8(yc, new[] { 1f, 2f }, new sbyte[] { 0, 1 }, back, 2, 2, 2);
        Assert.Equal(new[] { 1f, 2f, 4f, 4f, 5f, 6f, 8f, 8f }, back);
    }

    [Fact]
    public void DynamicQuantizationCoversTheRangeAndZero()
    {
        var x = new[] { -1f, 0.25f, 2f, 0.5f, -0.75f };
        var y = new byte[x.Length];
        Quantize.Dynamic(x, y, out float scale, out byte zero);
        Assert.Equal(3f / 255f, scale);
        Assert.Equal((byte)85, zero);
        for (int i = 0; i < x.Length; i++) Assert.InRange((y[i] - zero) * scale - x[i], -scale / 2 - 1e-6f, scale / 2 + 1e-6f);
        Quantize.Dynamic(new float[3], y, out scale, out zero);
        Assert.Equal(0f, scale);
        Assert.Equal((byte)0, zero);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(45)]
    [InlineData(1000)]
    public void DynamicQuantizationVectorsMatchTheScalarDefinition(int length)
    {
        // Lengths cover the 16-wide, 8-wide and scalar parts; every fourth value sits on a rounding tie.
        var rng = new Random(length);
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = i % 4 == 0 ? (rng.Next(-200, 200) + 0.5f) * (4f / 255f) : (float)(rng.NextDouble() * 8 - 4);
        x[0] = -4f;
        x[^1] = 4f;
        var y = new byte[length];
        Quantize.Dynamic(x, y, out float scale, out byte zero);
        Assert.Equal(8f / 255f, scale);
        for (int i = 0; i < length; i++)
        {
            float v = MathF.Round(x[i] / scale) + zero;
            byte expected = v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
            Assert.True(expected == y[i], $"x[{i}]={x[i]}: {y[i]} != {expected}");
        }

        // A NaN anywhere makes the range NaN, as TensorPrimitives.Min and Max report it.
        x[length / 2] = float.NaN;
        Quantize.Dynamic(x, y, out scale, out _);
        Assert.True(float.IsNaN(scale));
    }

    [Fact]
    public void VectorQuantizationMatchesTheScalarDefinition()
    {
        // Halves (ties to even), values past both ends, NaN, and lengths with vector tails.
        var rng = new Random(9);
        foreach (int length in new[] { 1, 7, 8, 9, 31, 100 })
        {
            var x = Enumerable.Range(0, length).Select(i => i % 11 == 3 ? float.NaN : (float)(rng.Next(-600, 600) / 2.0) * 0.25f).ToArray();
            foreach (var (scale, zero) in new[] { (0.25f, (byte)128), (0.5f, (byte)0), (1f / 3f, (byte)255) })
            {
                var y = new byte[length];
                Quantize.ToUInt8(x, new[] { scale }, new[] { zero }, y, 1, 1, length);
                for (int i = 0; i < length; i++)
                {
                    float v = MathF.Round(x[i] / scale) + zero;
                    byte expected = float.IsNaN(v) || v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
                    Assert.True(expected == y[i], $"x={x[i]} scale={scale} zero={zero}: {y[i]} != {expected}");
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1)]
    [InlineData(2, 4, 9, 5, 6, 3, 2, 2, 1, 1, 0, 1, 2, 2)]
    [InlineData(1, 6, 8, 8, 6, 3, 3, 1, 2, 1, 1, 2, 1, 6)]
    [InlineData(1, 17, 5, 5, 19, 1, 1, 1, 1, 0, 0, 1, 1, 1)]
    [InlineData(1, 16, 24, 30, 33, 1, 1, 1, 1, 0, 0, 1, 1, 1)]
    [InlineData(1, 8, 20, 40, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1)] // 16-position blocks in one row, one spanning two rows, 13 channels
    [InlineData(1, 5, 9, 37, 7, 3, 3, 1, 1, 0, 2, 1, 2, 1)] // dilated taps, left padding only
    [InlineData(1, 4, 12, 70, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1)] // stride 2: every other byte of 32
    [InlineData(1, 40, 20, 20, 9, 1, 1, 1, 1, 0, 0, 1, 1, 1)] // 1x1: blocks read across row ends
    [InlineData(1, 3, 9, 10, 5, 3, 1, 1, 1, 1, 0, 1, 1, 1)] // 3x1 with row padding: blocks across row ends, top and bottom rows padded
    public void FloatConvPathsAgreeBitForBit(int n, int c, int h, int w, int m, int kH, int kW, int sH, int sW, int pT, int pL, int dH, int dW, int group)
    {
        // The channel-major VNNI path against the position-major one (same integers, same float epilogue).
        if (!System.Runtime.Intrinsics.X86.AvxVnni.IsSupported) return;
        var rng = new Random(c * 31 + m);
        int oH = (h + 2 * pT - dH * (kH - 1) - 1) / sH + 1, oW = (w + 2 * pL - dW * (kW - 1) - 1) / sW + 1;
        int cg = c / group, mg = m / group, depth = cg * kH * kW;
        var x = new byte[n * c * h * w];
        rng.NextBytes(x);
        var wt = Enumerable.Range(0, m * depth).Select(_ => (sbyte)rng.Next(-127, 128)).ToArray();
        int packedLength = Int8Gemm.PackedLength(depth, mg);
        var packed = new sbyte[group * packedLength];
        var colSums = new int[m];
        for (int g = 0; g < group; g++)
            Int8Gemm.PackB(wt.AsSpan(g * mg * depth, mg * depth), true, depth, mg, packed.AsSpan(g * packedLength), colSums.AsSpan(g * mg));
        var multiplier = Enumerable.Range(0, m).Select(_ => 0.001f + 0.01f * (float)rng.NextDouble()).ToArray();
        var bias = TestUtil.RandomArray(rng, m);
        var scratch = new byte[Int8Conv.ScratchBytes(c, m, kH, kW, oH, oW, group)];
        float[] Run(bool rowMajor, int[]? intBias = null, Activation activation = default)
        {
            var y = new float[n * m * oH * oW];
            Array.Fill(y, float.NaN);
            Int8Conv.ForceRowMajor = rowMajor;
            try
            {
                Int8Conv.ToFloat(x, false, 131, 0.02f, packed, colSums, multiplier, bias, y, scratch, n, c, h, w, m, kH, kW, oH, oW, sH, sW, pT, pL, dH, dW, group, intBias, activation);
            }
            finally
            {
                Int8Conv.ForceRowMajor = false;
            }
            return y;
        }
        var expected = Run(true);
        Assert.DoesNotContain(expected, float.IsNaN);
        Assert.Equal(expected, Run(false));

        // Activations: in the channel-major path's registers (Relu, LeakyRelu, Clip) or after it (Sigmoid), the same
        // values as the activation applied to the plain outputs.
        Assert.Contains(expected, v => v < 0f);
        foreach (var activation in new[] { Activation.Relu, new Activation(ActivationKind.LeakyRelu, 0.1f), new Activation(ActivationKind.Clip, -0.5f, 0.5f), new Activation(ActivationKind.Sigmoid) })
        {
            var activated = (float[])expected.Clone();
            activation.Apply(activated);
            Assert.Equal(activated, Run(false, null, activation));
            Assert.Equal(activated, Run(true, null, activation));
        }

        // An int32 bias (static quantization) is added to the sums: both paths agree bit for bit, and each output
        // moves by intBias[ch] * multiplier[ch] * xScale.
        var intBias = Enumerable.Range(0, m).Select(_ => rng.Next(-5000, 5000)).ToArray();
        var withBias = Run(true, intBias);
        Assert.Equal(withBias, Run(false, intBias));
        int positions = oH * oW;
        for (int i = 0; i < withBias.Length; i++)
        {
            int ch = i / positions % m;
            Assert.Equal(expected[i] + intBias[ch] * multiplier[ch] * 0.02f, withBias[i], 3e-3f);
        }
    }

    [Fact]
    public void FloatMatMulAddsAnInt32BiasToTheSums()
    {
        var rng = new Random(77);
        int m = 3, n = 19, k = 21;
        var a = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        var w = Enumerable.Range(0, k * n).Select(_ => (sbyte)rng.Next(-127, 128)).ToArray();
        var packed = new sbyte[Int8Gemm.PackedLength(k, n)];
        var colSums = new int[n];
        Int8Gemm.PackB(w, false, k, n, packed, colSums);
        var wScales = Enumerable.Range(0, n).Select(_ => 0.001f + 0.01f * (float)rng.NextDouble()).ToArray();
        var intBias = Enumerable.Range(0, n).Select(_ => rng.Next(-3000, 3000)).ToArray();
        var scratch = new byte[Int8Ops.FloatMatMulScratchBytes(m, n, k)];
        float aScale = 2f / 255;
        var plain = new float[m * n];
        var biased = new float[m * n];
        Int8Ops.FloatMatMul(a, aScale, 128, packed, colSums, wScales, default, plain, scratch, m, n, k);
        Int8Ops.FloatMatMul(a, aScale, 128, packed, colSums, wScales, default, biased, scratch, m, n, k, intBias);
        for (int i = 0; i < m * n; i++) Assert.Equal(plain[i] + intBias[i % n] * wScales[i % n] * aScale, biased[i], 1e-4f);
        // Dynamic quantization has no scale to quantize a bias with at compile time.
        Assert.Throws<ArgumentException>(() => Int8Ops.FloatMatMul(a, 0f, 0, packed, colSums, wScales, default, biased, scratch, m, n, k, intBias));
    }
}
