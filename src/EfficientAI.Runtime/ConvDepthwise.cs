// Depthwise convolution on a zero-padded copy of each input plane in caller-provided scratch: with the padding
// materialized every output column is an interior column, so whole rows run in vectors with no bounds checks and
// no scalar border loop (a 5x5 kernel on a 64-wide row left a quarter of its columns scalar before). Column
// strides > 1 compute the unit-stride row and keep every stride-th column.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EfficientAI.Runtime;

public static partial class Conv
{
    /// <summary>Floats of scratch the padded depthwise kernel needs for one plane (sized for 512-bit vectors).</summary>
    public static long DepthwiseScratchFloats(int kH, int kW, int oH, int oW, int strideH, int strideW, int dilationH, int dilationW)
    {
        var (rows, width, dense) = PaddedPlane(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW, 16);
        return (long)rows * width + dense;
    }

    /// <summary>Rows and row width of the padded plane, and the unit-stride output row rounded to whole vectors.</summary>
    private static (int Rows, int Width, int Dense) PaddedPlane(int kH, int kW, int oH, int oW, int strideH, int strideW, int dilationH, int dilationW, int vw)
    {
        int dense = ((oW - 1) * strideW + vw) / vw * vw;
        return ((oH - 1) * strideH + (kH - 1) * dilationH + 1, dense + (kW - 1) * dilationW, dense);
    }

    /// <summary><paramref name="stride2Kernel"/>: column stride 2 runs DepthwiseStride2 where it can (tests turn it off).</summary>
    internal static unsafe void Depthwise(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int c, int h, int w, int kH, int kW, int oH, int oW, int strideH, int strideW, int padTop, int padLeft,
        int dilationH, int dilationW, Span<float> scratch, int threads, bool stride2Kernel = true, Activation activation = default)
    {
        int inPlane = h * w, outPlane = oH * oW, taps = kH * kW;
        if (x.Length < n * c * inPlane || weight.Length < c * taps || y.Length < n * c * outPlane || (!bias.IsEmpty && bias.Length < c))
            ThrowHelper.Argument("A span is shorter than its shape.");
        fixed (float* px = x, pw = weight, pb = bias, py = y, ps = scratch)
        {
            var job = new DepthwiseJob
            {
                X = px, W = pw, Bias = bias.IsEmpty ? null : pb, Y = py, Scratch = ps, ScratchStride = scratch.Length,
                C = c, H = h, Wd = w, KH = kH, KW = kW, OH = oH, OW = oW, StrideH = strideH, StrideW = strideW,
                PadTop = padTop, PadLeft = padLeft, DilationH = dilationH, DilationW = dilationW,
                Stride2 = stride2Kernel && strideW == 2 && Stride2Supported, Activation = activation,
            };
            Workers.For(threads, n * c, &DepthwisePlane, &job);
        }
    }

    private unsafe struct DepthwiseJob
    {
        public float* X, W, Bias, Y, Scratch;
        public int ScratchStride, C, H, Wd, KH, KW, OH, OW, StrideH, StrideW, PadTop, PadLeft, DilationH, DilationW;
        public bool Stride2;
        /// <summary>Applied to each plane as soon as it is done, while it is in L1 (a pass over the whole output after
        /// the last plane read it back from L3: M-LSD's 144 x 80 x 80).</summary>
        public Activation Activation;
    }

    private static unsafe void DepthwisePlane(void* state, int plane, int participant)
    {
        ref DepthwiseJob j = ref *(DepthwiseJob*)state;
        int ch = plane % j.C, outPlane = j.OH * j.OW, taps = j.KH * j.KW;
        float* x = j.X + (nint)plane * j.H * j.Wd, wt = j.W + (nint)ch * taps, yp = j.Y + (nint)plane * outPlane;
        float* ps = j.Scratch + (nint)participant * j.ScratchStride;
        if (j.Stride2)
            DepthwiseStride2(x, wt, j.Bias == null ? 0f : j.Bias[ch], yp, j.H, j.Wd, j.KH, j.KW, j.OH, j.OW, j.StrideH, j.PadTop, j.PadLeft, j.DilationH, j.DilationW, ps);
        else
            DepthwisePlaneRows(x, wt, yp, ch, outPlane, ps, ref j);
        j.Activation.Apply(new Span<float>(yp, outPlane));
    }

    private static unsafe void DepthwisePlaneRows(float* x, float* wt, float* yp, int ch, int outPlane, float* ps, ref DepthwiseJob j)
    {
        new Span<float>(yp, outPlane).Fill(j.Bias == null ? 0f : j.Bias[ch]);
        if (Simd512.IsSupported && j.OW >= 16)
            DepthwisePadded<Simd512, Vector512<float>>(x, wt, yp, j.H, j.Wd, j.KH, j.KW, j.OH, j.OW, j.StrideH, j.StrideW, j.PadTop, j.PadLeft, j.DilationH, j.DilationW, ps);
        else if (Simd256.IsSupported)
            DepthwisePadded<Simd256, Vector256<float>>(x, wt, yp, j.H, j.Wd, j.KH, j.KW, j.OH, j.OW, j.StrideH, j.StrideW, j.PadTop, j.PadLeft, j.DilationH, j.DilationW, ps);
        else
            DepthwisePadded<Simd128, Vector128<float>>(x, wt, yp, j.H, j.Wd, j.KH, j.KW, j.OH, j.OW, j.StrideH, j.StrideW, j.PadTop, j.PadLeft, j.DilationH, j.DilationW, ps);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DepthwisePadded<TS, TV>(float* x, float* wt, float* y, int h, int w, int kH, int kW, int oH, int oW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, float* scratch) where TS : struct, ISimd<TV> where TV : struct
    {
        int vw = TS.Count;
        var (rows, width, dense) = PaddedPlane(kH, kW, oH, oW, strideH, strideW, dilationH, dilationW, vw);
        float* padded = scratch, row = scratch + (nint)rows * width;
        // Padded row r, column j holds x[r - padTop, j - padLeft] (zero outside the input).
        for (int r = 0; r < rows; r++)
        {
            float* dst = padded + (nint)r * width;
            int ih = r - padTop;
            int first = Math.Clamp(padLeft, 0, width), count = (uint)ih < (uint)h ? Math.Clamp(Math.Min(w, width - padLeft), 0, width - first) : 0;
            int skip = Math.Max(0, -padLeft); // a negative pad crops the input's first columns
            count = Math.Max(0, Math.Min(count, w - skip));
            new Span<float>(dst, first).Clear();
            if (count > 0) Buffer.MemoryCopy(x + (nint)ih * w + skip, dst + first, (long)count * sizeof(float), (long)count * sizeof(float));
            new Span<float>(dst + first + count, width - first - count).Clear();
        }
        bool direct = strideW == 1 && dense == oW; // the output row itself is whole vectors
        for (int oh = 0; oh < oH; oh++)
        {
            float* yRow = y + (nint)oh * oW;
            float* acc = direct ? yRow : row;
            if (!direct) new Span<float>(row, dense).Clear();
            // The padded row is all interior: whole vectors from column 0 to dense (a multiple of the width).
            DepthwiseInterior<TS, TV>(padded, wt, acc, width, kW, oh * strideH, 0, kH, 0, dilationH, dilationW, 0, dense);
            if (!direct)
                for (int o = 0; o < oW; o++) yRow[o] += row[(nint)o * strideW];
        }
    }
}
