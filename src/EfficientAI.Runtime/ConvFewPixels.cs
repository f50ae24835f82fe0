// Convolution with only a few output pixels (the tail of a 1-D audio network: 1-7 frames) as a GEMM the other way
// round: the pixels' im2col rows are the left operand and the weights, packed at compile time like a Gemm's, the
// right one, so the micro-kernel's 16-wide panels run over output channels instead of over 16 pixel lanes of which
// all but a few are padding (Silero VAD's 128->64 Conv on 7 samples filled 4 of 16 lanes).
using System;
using System.Runtime.CompilerServices;

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
        int taps = kH * kW, inPlane = h * w;
        for (int img = 0; img < n; img++)
        {
            var xi = x.Slice(img * c * inPlane, c * inPlane);
            if (taps <= MaxFewPixelsTaps) PixelRows(xi, rows, c, h, w, kH, kW, oW, pixels, strideH, strideW, padTop, padLeft, dilationH, dilationW);
            else
            {
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
            }
            Gemm.ComputePacked(rows, packedWeight, bias, result, pixels, m, depth, activation);
            Transpose(result, y.Slice(img * m * pixels, m * pixels), pixels, m);
        }
    }

    // Taps per pixel up to which PixelRows keeps their offsets on the stack (a 1-D STFT kernel of 256 fits).
    private const int MaxFewPixelsTaps = 1024;

    /// <summary>
    /// The im2col row of each output pixel, rows[p * c kH kW + (ic kH + kh) kW + kw]: per pixel the taps' offsets in an
    /// input plane (-1 outside it) are worked out once and serve every input channel, so the copy is one load and
    /// store per value (the bounds-checked index arithmetic per value took a third of ResNet-18's 7x7 Convs).
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void PixelRows(ReadOnlySpan<float> x, Span<float> rows, int c, int h, int w, int kH, int kW, int oW, int pixels,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW)
    {
        int taps = kH * kW, inPlane = h * w;
        int* offsets = stackalloc int[taps];
        fixed (float* px = x, pr = rows)
        {
            float* dst = pr;
            for (int p = 0; p < pixels; p++)
            {
                int oh = p / oW, ow = p % oW;
                bool inside = true;
                for (int kh = 0, t = 0; kh < kH; kh++)
                {
                    int ih = oh * strideH - padTop + kh * dilationH;
                    for (int kw = 0; kw < kW; kw++, t++)
                    {
                        int iw = ow * strideW - padLeft + kw * dilationW;
                        bool valid = (uint)ih < (uint)h && (uint)iw < (uint)w;
                        offsets[t] = valid ? ih * w + iw : -1;
                        inside &= valid;
                    }
                }
                float* plane = px;
                if (inside)
                {
                    for (int ic = 0; ic < c; ic++, plane += inPlane, dst += taps)
                        for (int t = 0; t < taps; t++) dst[t] = plane[offsets[t]];
                }
                else
                {
                    for (int ic = 0; ic < c; ic++, plane += inPlane, dst += taps)
                        for (int t = 0; t < taps; t++) dst[t] = offsets[t] >= 0 ? plane[offsets[t]] : 0f;
                }
            }
        }
    }

    /// <summary>y[oc, p] = result[p, oc].</summary>
    private static unsafe void Transpose(ReadOnlySpan<float> result, Span<float> y, int pixels, int m)
    {
        fixed (float* pr = result, py = y)
        {
            for (int p = 0; p < pixels; p++)
            {
                float* src = pr + (nint)p * m, dst = py + p;
                for (int oc = 0; oc < m; oc++) dst[(nint)oc * pixels] = src[oc];
            }
        }
    }
}
