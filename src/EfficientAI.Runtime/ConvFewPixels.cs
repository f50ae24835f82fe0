// Convolution with only a few output pixels (the tail of a 1-D audio network: 1-7 frames) as a GEMM the other way
// round: the pixels' im2col rows are the left operand and the weights, packed at compile time like a Gemm's, the
// right one, so the micro-kernel's 16-wide panels run over output channels instead of over 16 pixel lanes of which
// all but a few are padding (Silero VAD's 128->64 Conv on 7 samples filled 4 of 16 lanes).
using System;

namespace EfficientAI.Runtime;

public static partial class Conv
{
    /// <summary>Floats of scratch <see cref="Conv2DFewPixels"/> needs: the pixels' im2col rows and their [pixels, m] result.</summary>
    public static long FewPixelsScratchFloats(int c, int m, int kH, int kW, int pixels) => (long)pixels * ((long)c * kH * kW + m);

    /// <summary>
    /// 2-D convolution (one group; 1-D callers pass h = kH = oH = 1) of x [n, c, h, w] with weights [m, c, kH, kW] packed
    /// by <see cref="Gemm.PackB"/> as the transposed [c kH kW, m] operand; bias [m] or empty; y [n, m, oH, oW].
    /// </summary>
    public static unsafe void Conv2DFewPixels(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int c, int h, int w, int m, int kH, int kW, int oH, int oW, int strideH, int strideW, int padTop, int padLeft,
        int dilationH, int dilationW, Span<float> scratch, Activation activation)
    {
        int depth = c * kH * kW, pixels = oH * oW;
        if (x.Length < (long)n * c * h * w || packedWeight.Length < Gemm.PackedLength(depth, m) || y.Length < (long)n * m * pixels || (!bias.IsEmpty && bias.Length < m))
            ThrowHelper.Argument("A span is shorter than its shape.");
        if (scratch.Length < FewPixelsScratchFloats(c, m, kH, kW, pixels)) ThrowHelper.Argument("scratch is too small.");
        var rows = scratch.Slice(0, pixels * depth);
        var result = scratch.Slice(pixels * depth, pixels * m);
        for (int img = 0; img < n; img++)
        {
            var xi = x.Slice(img * c * h * w, c * h * w);
            for (int p = 0, r = 0; p < pixels; p++)
            {
                int oh = p / oW, ow = p % oW;
                for (int ic = 0; ic < c; ic++)
                    for (int kh = 0; kh < kH; kh++)
                    {
                        int ih = oh * strideH - padTop + kh * dilationH;
                        for (int kw = 0; kw < kW; kw++, r++)
                        {
                            int iw = ow * strideW - padLeft + kw * dilationW;
                            rows[r] = (uint)ih < (uint)h && (uint)iw < (uint)w ? xi[(ic * h + ih) * w + iw] : 0f;
                        }
                    }
            }
            Gemm.ComputePacked(rows, packedWeight, bias, result, pixels, m, depth, activation);
            var yi = y.Slice(img * m * pixels, m * pixels);
            for (int p = 0; p < pixels; p++)
                for (int oc = 0; oc < m; oc++) yi[oc * pixels + p] = result[p * m + oc];
        }
    }
}
