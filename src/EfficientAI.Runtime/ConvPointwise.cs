// 1x1 unit-stride Conv with a residual in its epilogue: y = act(w x + bias + residual) per image, the GEMM
// [m, c] x [c, pixels] read in place, so a ResNet/BlazeFace block's Conv -> Add -> Relu is one pass over memory
// instead of three (the Add reading two tensors and writing one, the Relu reading and writing it again).
// The register tile is the packed GEMM's (6 output channels x 2 vectors of pixels), its rows broadcast weights,
// the input rows are the vectors; bias, residual and activation are applied before the tile is stored.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EfficientAI.Runtime;

public static partial class Conv
{
    /// <summary>
    /// y[i, p] = act(sum_k weight[i, k] x[k, p] + bias[i] + residual[i, p]) per image: x [n, c, pixels], weight [m, c]
    /// (a 1x1 Conv's [m, c, 1, 1]), bias [m] or empty, residual [n, m, pixels] or empty, y [n, m, pixels]. y may be
    /// residual itself (each element is read before it is written), not x.
    /// </summary>
    public static void Pointwise(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, Span<float> y,
        int n, int c, int m, int pixels, Activation activation) =>
        Pointwise(x, weight, bias, residual, y, n, c, m, pixels, activation, Gemm.MaxVectorWidth);

    /// <summary><see cref="Pointwise(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, int, Activation)"/> limited to vectors of at most maxWidth floats (tests run each width).</summary>
    internal static unsafe void Pointwise(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, Span<float> y,
        int n, int c, int m, int pixels, Activation activation, int maxWidth)
    {
        if (x.Length < (long)n * c * pixels || weight.Length < (long)m * c || y.Length < (long)n * m * pixels || (!bias.IsEmpty && bias.Length < m)
            || (!residual.IsEmpty && residual.Length < (long)n * m * pixels))
            ThrowHelper.Argument("A span is shorter than its shape.");
        fixed (float* px = x, pw = weight, pb = bias, pr = residual, py = y)
        {
            for (int img = 0; img < n; img++)
            {
                var job = new PointwiseJob
                {
                    X = px + (nint)img * c * pixels, W = pw, Bias = bias.IsEmpty ? null : pb, Residual = residual.IsEmpty ? null : pr + (nint)img * m * pixels,
                    Y = py + (nint)img * m * pixels, C = c, M = m, Pixels = pixels, Activation = activation,
                };
                int p = 0;
                if (maxWidth >= 16 && Simd512.IsSupported) p = PointwiseColumns<Simd512, Vector512<float>>(ref job, p);
                if (maxWidth >= 8 && Simd256.IsSupported) p = PointwiseColumns<Simd256, Vector256<float>>(ref job, p);
                if (maxWidth >= 4 && Simd128.IsSupported) p = PointwiseColumns<Simd128, Vector128<float>>(ref job, p);
                PointwiseScalar(ref job, p);
            }
        }
        if (!activation.InRegisters) activation.Apply(y.Slice(0, n * m * pixels));
    }

    private unsafe struct PointwiseJob
    {
        public float* X, W, Bias, Residual, Y;
        public int C, M, Pixels;
        public Activation Activation;
    }

    /// <summary>Pixels from p on in blocks of 2 vectors, all output channels per block; returns where it stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int PointwiseColumns<TS, TV>(ref PointwiseJob j, int p) where TS : struct, ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        var act = j.Activation.InRegisters ? j.Activation : Activation.None;
        for (; p + 2 * w <= j.Pixels; p += 2 * w)
        {
            for (int i = 0; i < j.M;)
            {
                int rows = j.M - i >= 6 ? 6 : j.M - i >= 4 ? 4 : j.M - i >= 2 ? 2 : 1;
                float* yt = j.Y + (nint)i * j.Pixels + p;
                float* rt = j.Residual == null ? null : j.Residual + (nint)i * j.Pixels + p;
                float* bt = j.Bias == null ? null : j.Bias + i;
                float* wt = j.W + (nint)i * j.C;
                if (rows == 6) PointwiseTile<TS, TV, TileRows6>(wt, j.C, j.X + p, j.Pixels, yt, rt, bt, act);
                else if (rows == 4) PointwiseTile<TS, TV, TileRows4>(wt, j.C, j.X + p, j.Pixels, yt, rt, bt, act);
                else if (rows == 2) PointwiseTile<TS, TV, TileRows2>(wt, j.C, j.X + p, j.Pixels, yt, rt, bt, act);
                else PointwiseTile<TS, TV, TileRows1>(wt, j.C, j.X + p, j.Pixels, yt, rt, bt, act);
                i += rows;
            }
        }
        return p;
    }

    /// <summary>R output channels x 2 vectors of pixels: R x 2 accumulators over the c input channels, then the epilogue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PointwiseTile<TS, TV, R>(float* wt, int c, float* x, nint ldx, float* y, float* residual, float* bias, Activation act)
        where TS : struct, ISimd<TV> where TV : struct where R : struct, ITileRows
    {
        int w = TS.Count;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TV c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* w0 = wt, w1 = wt + c, w2 = wt + 2 * c, w3 = wt + 3 * c, w4 = wt + 4 * c, w5 = wt + 5 * c;
        for (int k = 0; k < c; k++)
        {
            TV b0 = TS.Load(x), b1 = TS.Load(x + w);
            TV a = TS.Splat(w0[k]);
            c00 = TS.Fma(a, b0, c00); c01 = TS.Fma(a, b1, c01);
            if (R.Count > 1)
            {
                a = TS.Splat(w1[k]);
                c10 = TS.Fma(a, b0, c10); c11 = TS.Fma(a, b1, c11);
            }
            if (R.Count > 2)
            {
                a = TS.Splat(w2[k]);
                c20 = TS.Fma(a, b0, c20); c21 = TS.Fma(a, b1, c21);
                a = TS.Splat(w3[k]);
                c30 = TS.Fma(a, b0, c30); c31 = TS.Fma(a, b1, c31);
            }
            if (R.Count > 4)
            {
                a = TS.Splat(w4[k]);
                c40 = TS.Fma(a, b0, c40); c41 = TS.Fma(a, b1, c41);
                a = TS.Splat(w5[k]);
                c50 = TS.Fma(a, b0, c50); c51 = TS.Fma(a, b1, c51);
            }
            x += ldx;
        }
        PointwiseFinish<TS, TV>(c00, c01, y, residual, bias, 0, ldx, act);
        if (R.Count > 1) PointwiseFinish<TS, TV>(c10, c11, y, residual, bias, 1, ldx, act);
        if (R.Count > 2)
        {
            PointwiseFinish<TS, TV>(c20, c21, y, residual, bias, 2, ldx, act);
            PointwiseFinish<TS, TV>(c30, c31, y, residual, bias, 3, ldx, act);
        }
        if (R.Count > 4)
        {
            PointwiseFinish<TS, TV>(c40, c41, y, residual, bias, 4, ldx, act);
            PointwiseFinish<TS, TV>(c50, c51, y, residual, bias, 5, ldx, act);
        }
    }

    /// <summary>Row r of a tile: + bias, + residual, the activation, stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PointwiseFinish<TS, TV>(TV lo, TV hi, float* y, float* residual, float* bias, int r, nint ld, Activation act)
        where TS : struct, ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        float* yr = y + r * ld;
        if (bias != null)
        {
            TV b = TS.Splat(bias[r]);
            lo = TS.Add(lo, b);
            hi = TS.Add(hi, b);
        }
        if (residual != null)
        {
            float* rr = residual + r * ld;
            lo = TS.Add(lo, TS.Load(rr));
            hi = TS.Add(hi, TS.Load(rr + w));
        }
        TS.Store(yr, PointwiseAct<TS, TV>(lo, act));
        TS.Store(yr + w, PointwiseAct<TS, TV>(hi, act));
    }

    // Max/Min return their second operand when either is NaN: NaN passes through as in the unfused ops.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV PointwiseAct<TS, TV>(TV v, Activation act) where TS : struct, ISimd<TV> where TV : struct => act.Kind switch
    {
        ActivationKind.None => v,
        ActivationKind.Relu => TS.Max(default, v),
        ActivationKind.LeakyRelu => TS.Fma(TS.Splat(act.Alpha), TS.Min(default, v), TS.Max(default, v)),
        _ => TS.Min(TS.Splat(act.Beta), TS.Max(TS.Splat(act.Alpha), v)),
    };

    /// <summary>Pixels from p on without vectors.</summary>
    private static unsafe void PointwiseScalar(ref PointwiseJob j, int p)
    {
        var act = j.Activation;
        for (int i = 0; i < j.M; i++)
        {
            float* wi = j.W + (nint)i * j.C;
            for (int q = p; q < j.Pixels; q++)
            {
                float sum = 0f;
                for (int k = 0; k < j.C; k++) sum += wi[k] * j.X[(nint)k * j.Pixels + q];
                if (j.Bias != null) sum += j.Bias[i];
                if (j.Residual != null) sum += j.Residual[(nint)i * j.Pixels + q];
                j.Y[(nint)i * j.Pixels + q] = act.Kind switch
                {
                    ActivationKind.Relu => MathF.Max(sum, 0f),
                    ActivationKind.LeakyRelu => sum < 0f ? act.Alpha * sum : sum,
                    ActivationKind.Clip => MathF.Min(MathF.Max(sum, act.Alpha), act.Beta),
                    _ => sum,
                };
            }
        }
    }
}
