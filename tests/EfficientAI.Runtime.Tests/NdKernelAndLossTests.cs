using System;
using System.Linq;
using EfficientAI.Runtime;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>
/// The N-D pooling and convolution kernels against the tested 2-D ones on 2-D shapes, and the loss, triangle,
/// bit-shift and half-precision kernels against naive references.
/// </summary>
public class NdKernelAndLossTests
{
    [Theory]
    [InlineData(1, 0, 1)] [InlineData(2, 1, 1)] [InlineData(1, 1, 2)]
    public void PoolNDMatchesPool2D(int stride, int pad, int dilation)
    {
        var rng = new Random(stride * 10 + pad + dilation);
        int nc = 5, h = 7, w = 9, kH = 3, kW = 2;
        int oH = (h + 2 * pad - dilation * (kH - 1) - 1) / stride + 1, oW = (w + 2 * pad - dilation * (kW - 1) - 1) / stride + 1;
        var x = TestUtil.RandomArray(rng, nc * h * w);
        var expected = new float[nc * oH * oW];
        var actual = new float[expected.Length];
        Pool.MaxPool2D(x, expected, nc, h, w, kH, kW, oH, oW, stride, stride, pad, pad, dilation, dilation);
        Pool.PoolND(x, actual, Span<long>.Empty, nc, new[] { h, w }, new[] { oH, oW }, new[] { kH, kW }, new[] { stride, stride }, new[] { pad, pad }, new[] { pad, pad },
            new[] { dilation, dilation }, max: true, countIncludePad: false, columnMajorIndices: false);
        Assert.Equal(expected, actual);
        if (dilation != 1) return;
        foreach (bool include in new[] { false, true })
        {
            Pool.AveragePool2D(x, expected, nc, h, w, kH, kW, oH, oW, stride, stride, pad, pad, pad, pad, include);
            Pool.PoolND(x, actual, Span<long>.Empty, nc, new[] { h, w }, new[] { oH, oW }, new[] { kH, kW }, new[] { stride, stride }, new[] { pad, pad }, new[] { pad, pad },
                new[] { 1, 1 }, max: false, countIncludePad: include, columnMajorIndices: false);
            TestUtil.AssertClose(expected.Select(v => (double)v).ToArray(), actual, 1e-6, 1e-6, $"average include={include}");
        }
    }

    [Fact]
    public void PoolNDIndicesPointAtTheMaxima()
    {
        var rng = new Random(3);
        var x = TestUtil.RandomArray(rng, 2 * 6 * 5);
        var y = new float[2 * 3 * 2];
        var rowMajor = new long[y.Length];
        var columnMajor = new long[y.Length];
        int[] input = { 6, 5 }, output = { 3, 2 }, kernel = { 2, 3 }, strides = { 2, 2 }, pads = { 0, 0 }, dilations = { 1, 1 };
        Pool.PoolND(x, y, rowMajor, 2, input, output, kernel, strides, pads, pads, dilations, true, false, false);
        Pool.PoolND(x, y, columnMajor, 2, input, output, kernel, strides, pads, pads, dilations, true, false, true);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(y[i], x[rowMajor[i]]);
            long plane = rowMajor[i] / 30, at = rowMajor[i] % 30;
            Assert.Equal(plane * 30 + at / 5 + at % 5 * 6, columnMajor[i]);
        }
    }

    [Theory]
    [InlineData(1, 1, 1, 0)] [InlineData(2, 1, 1, 1)] [InlineData(1, 2, 2, 1)]
    public void ConvNDMatchesConv2D(int stride, int dilation, int group, int pad)
    {
        var rng = new Random(stride + 3 * dilation + 7 * group);
        int n = 2, c = 4, h = 6, w = 7, m = 6, kH = 3, kW = 2;
        int oH = (h + 2 * pad - dilation * (kH - 1) - 1) / stride + 1, oW = (w + 2 * pad - dilation * (kW - 1) - 1) / stride + 1;
        var x = TestUtil.RandomArray(rng, n * c * h * w);
        var weight = TestUtil.RandomArray(rng, m * (c / group) * kH * kW);
        var bias = TestUtil.RandomArray(rng, m);
        var expected = new float[n * m * oH * oW];
        var actual = new float[expected.Length];
        Conv.Conv2D(x, weight, bias, expected, n, c, h, w, m, kH, kW, oH, oW, stride, stride, pad, pad, dilation, dilation, group);
        Conv.ConvND(x, weight, bias, actual, n, c, m, new[] { h, w }, new[] { oH, oW }, new[] { kH, kW }, new[] { stride, stride }, new[] { pad, pad }, new[] { dilation, dilation }, group);
        TestUtil.AssertClose(expected.Select(v => (double)v).ToArray(), actual, 1e-5, 1e-5, "conv");
    }

    [Theory]
    [InlineData(LossReduction.None)] [InlineData(LossReduction.Sum)] [InlineData(LossReduction.Mean)]
    public void NegativeLogLikelihoodMatchesReference(LossReduction reduction)
    {
        var rng = new Random((int)reduction);
        int batch = 3, classes = 5, inner = 4;
        var x = TestUtil.RandomArray(rng, batch * classes * inner);
        var weight = TestUtil.RandomArray(rng, classes, 0.5f, 2f);
        var target = Enumerable.Range(0, batch * inner).Select(_ => (long)rng.Next(classes)).ToArray();
        target[1] = 3; // the ignored class
        var loss = new float[reduction == LossReduction.None ? batch * inner : 1];
        Loss.NegativeLogLikelihood<long>(x, target, weight, loss, batch, classes, inner, 3, reduction);
        double sum = 0, weights = 0;
        var each = new double[batch * inner];
        for (int t = 0; t < each.Length; t++)
        {
            long cls = target[t];
            if (cls == 3) continue;
            each[t] = -x[(t / inner * classes + cls) * inner + t % inner] * weight[cls];
            sum += each[t];
            weights += weight[cls];
        }
        var expected = reduction switch { LossReduction.None => each, LossReduction.Sum => new[] { sum }, _ => new[] { sum / weights } };
        TestUtil.AssertClose(expected, loss, 1e-6, 1e-6, reduction.ToString());
    }

    [Theory]
    [InlineData(true, 0)] [InlineData(true, 2)] [InlineData(false, -1)] [InlineData(false, 9)]
    public void TriangleMatchesReference(bool upper, long k)
    {
        var x = Enumerable.Range(1, 2 * 4 * 5).Select(v => (int)v).ToArray();
        var y = new int[x.Length];
        Layout.Triangle<int>(x, y, 2, 4, 5, k, upper);
        for (int i = 0; i < x.Length; i++)
        {
            long diagonal = i % 5 - i / 5 % 4;
            Assert.Equal((upper ? diagonal >= k : diagonal <= k) ? x[i] : 0, y[i]);
        }
    }

    [Fact]
    public void BitShiftCountsPastTheWidthGiveZero()
    {
        byte[] a = { 1, 0x81, 0xFF, 7 }, b = { 7, 1, 8, 200 };
        var left = new byte[4];
        var right = new byte[4];
        int[] shape = { 4 }, unit = { 1 };
        Elementwise.BitShift<byte>(a, b, left, shape, unit, unit, left: true);
        Elementwise.BitShift<byte>(a, b, right, shape, unit, unit, left: false);
        Assert.Equal(new byte[] { 0x80, 0x02, 0, 0 }, left);
        Assert.Equal(new byte[] { 0, 0x40, 0, 0 }, right);
    }

    [Fact]
    public void HalfPrecisionRoundsLikeSystemHalf()
    {
        var rng = new Random(11);
        var x = TestUtil.RandomArray(rng, 1000, -70000f, 70000f).Concat(new[] { float.NaN, 1e-8f, -0f, 65519.99f, 65520f }).ToArray();
        var rounded = (float[])x.Clone();
        HalfPrecision.RoundToHalf(rounded);
        var halves = new Half[x.Length];
        HalfPrecision.Narrow(x, halves);
        var widened = new float[x.Length];
        HalfPrecision.Widen(halves, widened);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal((float)(Half)x[i], rounded[i]);
            Assert.Equal((float)(Half)x[i], widened[i]);
        }
        // bfloat16: ties to even on the float's top 16 bits.
        var bf = new ushort[3];
        HalfPrecision.NarrowBFloat16(new[] { 1.00390625f, 1.01171875f, -2f }, bf);
        Assert.Equal(new ushort[] { 0x3F80, 0x3F82, 0xC000 }, bf);
    }
}
