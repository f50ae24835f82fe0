// Depthwise convolution with column stride 2 (MobileNet's downsampling layers) that computes only the kept columns:
// output column o reads padded columns 2o + kw d, so one tap of 16 outputs is the even lanes of two contiguous
// vectors, picked by one two-source permute (vpermt2ps). The unit-stride kernel it replaces computed every column of
// the row and then kept every second one with a scalar loop: twice the multiply-adds plus a scalar pass.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

public static partial class Conv
{
    /// <summary>The stride-2 depthwise kernel needs AVX-512 (its permutes).</summary>
    private static bool Stride2Supported => Simd512.IsSupported;

    /// <summary>
    /// One plane: x [h, w] zero-padded into scratch (rows and width as <see cref="PaddedPlane"/> sizes them for 16-float
    /// vectors), y [oH, oW] = bias + the taps, column stride 2.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DepthwiseStride2(float* x, float* wt, float bias, float* y, int h, int w, int kH, int kW, int oH, int oW,
        int strideH, int padTop, int padLeft, int dilationH, int dilationW, float* scratch)
    {
        var (rows, width, _) = PaddedPlane(kH, kW, oH, oW, strideH, 2, dilationH, dilationW, 16);
        // Padded row r, column j holds x[r - padTop, j - padLeft] (zero outside the input). The reads of the last
        // vector run up to 30 floats past a row's width, into the next row or the scratch's output row: only lanes
        // past oW see them.
        int first = Math.Clamp(padLeft, 0, width), skip = Math.Max(0, -padLeft);
        int count = Math.Max(0, Math.Min(w - skip, width - first));
        for (int r = 0; r < rows; r++)
        {
            float* dst = scratch + (nint)r * width;
            int ih = r - padTop;
            int n = (uint)ih < (uint)h ? count : 0;
            new Span<float>(dst, first).Clear();
            if (n > 0) Buffer.MemoryCopy(x + (nint)ih * w + skip, dst + first, (long)n * sizeof(float), (long)n * sizeof(float));
            new Span<float>(dst + first + n, width - first - n).Clear();
        }
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var b = Vector512.Create(bias);
        for (int oh = 0; oh < oH; oh++)
        {
            float* top = scratch + (nint)oh * strideH * width;
            float* yRow = y + (nint)oh * oW;
            int o = 0;
            // Four vectors at a time: independent accumulators hide the FMA latency of a kH x kW chain.
            for (; o + 64 <= oW; o += 64)
            {
                Vector512<float> a0 = b, a1 = b, a2 = b, a3 = b;
                for (int kh = 0; kh < kH; kh++)
                {
                    float* r = top + (nint)kh * dilationH * width + 2 * o;
                    float* wk = wt + kh * kW;
                    for (int kw = 0; kw < kW; kw++)
                    {
                        var wv = Vector512.Create(wk[kw]);
                        float* p = r + kw * dilationW;
                        a0 = Avx512F.FusedMultiplyAdd(wv, Avx512F.PermuteVar16x32x2(Vector512.Load(p), even, Vector512.Load(p + 16)), a0);
                        a1 = Avx512F.FusedMultiplyAdd(wv, Avx512F.PermuteVar16x32x2(Vector512.Load(p + 32), even, Vector512.Load(p + 48)), a1);
                        a2 = Avx512F.FusedMultiplyAdd(wv, Avx512F.PermuteVar16x32x2(Vector512.Load(p + 64), even, Vector512.Load(p + 80)), a2);
                        a3 = Avx512F.FusedMultiplyAdd(wv, Avx512F.PermuteVar16x32x2(Vector512.Load(p + 96), even, Vector512.Load(p + 112)), a3);
                    }
                }
                a0.Store(yRow + o);
                a1.Store(yRow + o + 16);
                a2.Store(yRow + o + 32);
                a3.Store(yRow + o + 48);
            }
            for (; o < oW; o += 16)
            {
                Vector512<float> a = b;
                for (int kh = 0; kh < kH; kh++)
                {
                    float* r = top + (nint)kh * dilationH * width + 2 * o;
                    float* wk = wt + kh * kW;
                    for (int kw = 0; kw < kW; kw++)
                    {
                        float* p = r + kw * dilationW;
                        a = Avx512F.FusedMultiplyAdd(Vector512.Create(wk[kw]), Avx512F.PermuteVar16x32x2(Vector512.Load(p), even, Vector512.Load(p + 16)), a);
                    }
                }
                StoreColumns(yRow + o, a, oW - o);
            }
        }
    }
}
