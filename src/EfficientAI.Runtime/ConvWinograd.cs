// Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions with many channels: each 4x4 output tile comes from a 6x6
// input tile as A^T [ (G g G^T) . (B^T d B) ] A, so the channel reduction becomes 36 independent GEMMs of
// [m x c] weights by [c x tiles] transformed inputs, 4 multiplies per output and tap where direct convolution
// needs 9 (2.25x fewer, the transforms aside). The weights are transformed ahead of time (the generator does it at
// compile time); the input transform writes straight into the packed GEMM's panel layout (16 tiles per panel, one
// tile per vector lane), the 36 GEMMs run on the packed micro-kernel, and the output transform adds the bias and
// the activation. Dilated kernels run the same tiles on each of the dilation^2 interleaved sub-grids (an output
// pixel and its taps all fall in one sub-grid). Rounding differs from direct convolution by a few ulps of the
// largest intermediate: the transforms scale by up to 8x (A) and 5x (B), so errors are ~1e-6 of the output range.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

public static partial class Conv
{
    /// <summary>Transformed values per tile (6 x 6) of Winograd F(4x4, 3x3).</summary>
    public const int WinogradPositions = 36;

    /// <summary>Tiles per block the generator sizes Winograd scratch for: one pair of 16-tile panels.</summary>
    public const int WinogradBlockTiles = 32;

    /// <summary>Tiles of 4 x 4 outputs covering an oH x oW output (per dilation sub-grid, dilation^2 sub-grids).</summary>
    public static int WinogradTiles(int oH, int oW, int dilation)
    {
        int subH = (oH + dilation - 1) / dilation, subW = (oW + dilation - 1) / dilation;
        return dilation * dilation * ((subH + 3) / 4) * ((subW + 3) / 4);
    }

    /// <summary>Floats of scratch per thread for blocks of <paramref name="blockTiles"/> tiles (a multiple of 16).</summary>
    public static long WinogradScratchFloats(int c, int m, int blockTiles) => (long)WinogradPositions * (c + m) * blockTiles + WinogradSlackFloats;

    /// <summary>
    /// Scratch past the transformed tiles: one 16-float row after each position's [c x block] panels (the shuffled input
    /// transform stores whole vectors at a panel lane, spilling up to 15 floats into the next row) and after each
    /// position's [m x block] products (the output transform loads whole vectors from any tile of a product row; the
    /// extra row also keeps the 36 loads of one tile out of a single cache set when m x block is a multiple of 1024).
    /// </summary>
    private const int WinogradSlackFloats = 2 * WinogradPositions * 16;

    /// <summary>
    /// The transformed weights G g G^T of [m, c, 3, 3] weights, as 36 row-major [m, c] matrices (position i * 6 + j
    /// first). The generator computes the same in double at compile time; tests and benchmarks call this.
    /// </summary>
    public static void WinogradWeights(ReadOnlySpan<float> weight, Span<float> transformed, int m, int c)
    {
        if (weight.Length < m * c * 9 || transformed.Length < WinogradPositions * m * c) ThrowHelper.Argument("weight or transformed is too short.");
        double[,] g = { { 0.25, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6 }, { 1.0 / 24, 1.0 / 12, 1.0 / 6 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6 }, { 0, 0, 1 } };
        var left = new double[6, 3];
        for (int oc = 0; oc < m; oc++)
        {
            for (int ic = 0; ic < c; ic++)
            {
                var k = weight.Slice((oc * c + ic) * 9, 9);
                for (int i = 0; i < 6; i++)
                    for (int b = 0; b < 3; b++)
                        left[i, b] = g[i, 0] * k[b] + g[i, 1] * k[3 + b] + g[i, 2] * k[6 + b];
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++)
                        transformed[((i * 6 + j) * m + oc) * c + ic] = (float)(left[i, 0] * g[j, 0] + left[i, 1] * g[j, 1] + left[i, 2] * g[j, 2]);
            }
        }
    }

    /// <summary>
    /// 3x3 stride-1 convolution (dilation equal on both axes) by Winograd F(4x4, 3x3): x [n, c, h, w], the weights
    /// transformed by <see cref="WinogradWeights"/>, bias [m] or empty, y [n, m, oH, oW]. Scratch holds blocks of
    /// tiles: per participant <see cref="WinogradScratchFloats"/> for a block of at least 16 tiles (the block is
    /// whatever multiple of 16 fits). With threads &gt; 1 the caller and pool workers share the blocks. A
    /// <paramref name="residual"/> shaped as y (ResidualAddFusion) is added before the activation as each output is
    /// stored: y = act(conv + bias + residual); it may be y itself (each output reads its residual before it is
    /// written), and otherwise must not overlap y or x.
    /// </summary>
    public static void Conv2DWinograd(ReadOnlySpan<float> x, ReadOnlySpan<float> transformedWeight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int c, int h, int w, int m, int oH, int oW, int padTop, int padLeft, int dilation, Span<float> scratch, Activation activation, int threads = 1,
        ReadOnlySpan<float> residual = default) =>
        Conv2DWinograd(x, transformedWeight, bias, y, n, c, h, w, m, oH, oW, padTop, padLeft, dilation, scratch, activation, threads, shuffles: true, residual);

    /// <summary>
    /// <paramref name="shuffles"/>: undilated Convs transform their tiles with AVX-512 shuffles of whole input and
    /// output rows where the machine has them (tests turn it off to run the per-lane gather and scatter path).
    /// </summary>
    internal static unsafe void Conv2DWinograd(ReadOnlySpan<float> x, ReadOnlySpan<float> transformedWeight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int c, int h, int w, int m, int oH, int oW, int padTop, int padLeft, int dilation, Span<float> scratch, Activation activation, int threads,
        bool shuffles, ReadOnlySpan<float> residual = default)
    {
        if (threads < 1 || dilation < 1) ThrowHelper.Argument("threads and dilation must be at least 1.");
        if (threads > 1) scratch = scratch.Slice(0, scratch.Length / threads);
        if (x.Length < (long)n * c * h * w || transformedWeight.Length < (long)WinogradPositions * m * c || y.Length < (long)n * m * oH * oW
            || (!bias.IsEmpty && bias.Length < m) || (!residual.IsEmpty && residual.Length < (long)n * m * oH * oW))
            ThrowHelper.Argument("A span is shorter than its shape.");
        int tiles = WinogradTiles(oH, oW, dilation);
        if (n == 0 || m == 0 || tiles == 0) return;
        long perTile = (long)WinogradPositions * (c + m);
        int block = (int)Math.Min(Math.Max(0, scratch.Length - WinogradSlackFloats) / perTile / 16 * 16, (tiles + 15) / 16 * 16L);
        // Pairs of panels where they fit: the 512-bit micro-kernel takes two at a time.
        if (block > 32) block = block / 32 * 32;
        if (block < 16) ThrowHelper.Argument("scratch is too small for one block of 16 tiles.");
        int blocks = (tiles + block - 1) / block;
        fixed (float* px = x, pu = transformedWeight, pb = bias, py = y, ps = scratch, pr = residual)
        {
            var job = new WinogradJob
            {
                X = px, U = pu, Bias = bias.IsEmpty ? null : pb, Y = py, Residual = residual.IsEmpty ? null : pr, Scratch = ps, ScratchStride = scratch.Length,
                C = c, H = h, W = w, M = m, OH = oH, OW = oW, PadTop = padTop, PadLeft = padLeft, Dilation = dilation,
                Tiles = tiles, Block = block, Blocks = blocks, Activation = activation, PanelStride = (nint)c * block + 16, ProductStride = (nint)m * block + 16,
                Shuffles = shuffles && dilation == 1 && w >= 16 && Simd512.IsSupported,
                TilesH = ((oH + dilation - 1) / dilation + 3) / 4, TilesW = ((oW + dilation - 1) / dilation + 3) / 4,
            };
            Workers.For(threads, n * blocks, &WinogradItem, &job);
        }
        if (!activation.InRegisters) activation.Apply(y.Slice(0, n * m * oH * oW));
    }

    private unsafe struct WinogradJob
    {
        public float* X, U, Bias, Y, Scratch;
        /// <summary>Added to each output before the activation, or null.</summary>
        public float* Residual;
        public int ScratchStride, C, H, W, M, OH, OW, PadTop, PadLeft, Dilation, Tiles, TilesH, TilesW, Block, Blocks;
        /// <summary>Floats between positions' transformed inputs: c x block and a slack row.</summary>
        public nint PanelStride;
        /// <summary>Floats between positions' products: m x block and a slack row.</summary>
        public nint ProductStride;
        public Activation Activation;
        /// <summary>AVX-512 row shuffles for the transforms (ConvWinogradShuffle.cs) instead of per-lane gathers.</summary>
        public bool Shuffles;
    }

    private static unsafe void WinogradItem(void* state, int item, int participant)
    {
        if (Simd512.IsSupported) WinogradBlock<Simd512, Vector512<float>>(state, item, participant);
        else if (Simd256.IsSupported) WinogradBlock<Simd256, Vector256<float>>(state, item, participant);
        else WinogradBlock<Simd128, Vector128<float>>(state, item, participant);
    }

    /// <summary>One block of tiles of one image: input transform into panels, 36 GEMMs, output transform.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WinogradBlock<TS, TV>(void* state, int item, int participant) where TS : struct, ISimd<TV> where TV : struct
    {
        ref WinogradJob j = ref *(WinogradJob*)state;
        int img = item / j.Blocks, t0 = item % j.Blocks * j.Block;
        int count = Math.Min(j.Block, j.Tiles - t0), padded = (count + 15) / 16 * 16;
        int c = j.C, m = j.M, d = j.Dilation;
        float* v = j.Scratch + (nint)participant * j.ScratchStride;
        float* product = v + WinogradPositions * j.PanelStride;
        float* x = j.X + (nint)img * c * j.H * j.W;
        float* y = j.Y + (nint)img * m * j.OH * j.OW;
        float* residual = j.Residual == null ? null : j.Residual + (nint)img * m * j.OH * j.OW;
        Activation act = j.Activation.InRegisters ? j.Activation : Activation.None;
        if (j.Shuffles)
        {
            WinogradInputShuffled(ref j, x, v, t0, count);
            WinogradProducts(ref j, v, product, padded);
            WinogradOutputShuffled(ref j, product, y, residual, t0, count, act);
            return;
        }
        // Per lane: the output row and column of the tile's first pixel (tiles past the block: far above the image).
        int* outRow = stackalloc int[16];
        int* outCol = stackalloc int[16];
        int* inRow = stackalloc int[16];
        int* inCol = stackalloc int[16];
        float* tile = stackalloc float[WinogradPositions * 16];
        float* half = stackalloc float[WinogradPositions * 16];
        int perGrid = j.TilesH * j.TilesW;
        for (int q = 0; q * 16 < padded; q++)
        {
            for (int lane = 0; lane < 16; lane++)
            {
                int t = t0 + q * 16 + lane;
                if (q * 16 + lane < count)
                {
                    int grid = t / perGrid, rest = t % perGrid;
                    outRow[lane] = grid / d + rest / j.TilesW * 4 * d;
                    outCol[lane] = grid % d + rest % j.TilesW * 4 * d;
                }
                else
                {
                    outRow[lane] = -8 * d - j.H;
                    outCol[lane] = 0;
                }
                inRow[lane] = outRow[lane] - j.PadTop;
                inCol[lane] = outCol[lane] - j.PadLeft;
            }
            float* panel = v + (nint)q * c * 16;
            for (int ic = 0; ic < c; ic++)
            {
                WinogradGather(x + (nint)ic * j.H * j.W, j.H, j.W, d, inRow, inCol, tile);
                InputTransform<TS, TV>(tile, half, panel + (nint)ic * 16, j.PanelStride);
            }
        }
        WinogradProducts(ref j, v, product, padded);
        for (int q = 0; q * 16 < count; q++)
        {
            int lanes = Math.Min(16, count - q * 16);
            for (int lane = 0; lane < lanes; lane++)
            {
                int t = t0 + q * 16 + lane, grid = t / perGrid, rest = t % perGrid;
                outRow[lane] = grid / d + rest / j.TilesW * 4 * d;
                outCol[lane] = grid % d + rest % j.TilesW * 4 * d;
            }
            for (int oc = 0; oc < m; oc++)
            {
                OutputTransform<TS, TV>(product + (nint)oc * j.Block + q * 16, j.ProductStride, half, tile, j.Bias == null ? 0f : j.Bias[oc], residual == null ? act : Activation.None);
                if (residual == null) WinogradScatter(tile, y + (nint)oc * j.OH * j.OW, j.OH, j.OW, d, outRow, outCol, lanes);
                else WinogradScatterResidual(tile, y + (nint)oc * j.OH * j.OW, residual + (nint)oc * j.OH * j.OW, j.OH, j.OW, d, outRow, outCol, lanes, act);
            }
        }
    }

    /// <summary>The 36 GEMMs of a block: product[pos] = U[pos] [m x c] times the transformed inputs [c x padded].</summary>
    private static unsafe void WinogradProducts(ref WinogradJob j, float* v, float* product, int padded)
    {
        for (int pos = 0; pos < WinogradPositions; pos++)
            Gemm.AccumulatePacked(j.U + (nint)pos * j.M * j.C, j.C, v + pos * j.PanelStride, null, product + pos * j.ProductStride, j.Block,
                j.M, padded, j.C, Activation.None);
    }

    /// <summary>The 6x6 input tiles of 16 lanes: tile[(r * 6 + c) * 16 + lane] = x[row + r d, col + c d], zero outside.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void WinogradGather(float* plane, int h, int w, int d, int* rows, int* cols, float* tile)
    {
        if (Avx2.IsSupported)
        {
            var rowLo = Vector256.Load(rows);
            var rowHi = Vector256.Load(rows + 8);
            var colLo = Vector256.Load(cols);
            var colHi = Vector256.Load(cols + 8);
            var hv = Vector256.Create(h);
            var wv = Vector256.Create(w);
            var minusOne = Vector256.Create(-1);
            for (int r = 0; r < 6; r++)
            {
                var ihLo = rowLo + Vector256.Create(r * d);
                var ihHi = rowHi + Vector256.Create(r * d);
                var rowOkLo = Avx2.CompareGreaterThan(ihLo, minusOne) & Avx2.CompareGreaterThan(hv, ihLo);
                var rowOkHi = Avx2.CompareGreaterThan(ihHi, minusOne) & Avx2.CompareGreaterThan(hv, ihHi);
                var baseLo = ihLo * w;
                var baseHi = ihHi * w;
                for (int cc = 0; cc < 6; cc++)
                {
                    var iwLo = colLo + Vector256.Create(cc * d);
                    var iwHi = colHi + Vector256.Create(cc * d);
                    var okLo = rowOkLo & Avx2.CompareGreaterThan(iwLo, minusOne) & Avx2.CompareGreaterThan(wv, iwLo);
                    var okHi = rowOkHi & Avx2.CompareGreaterThan(iwHi, minusOne) & Avx2.CompareGreaterThan(wv, iwHi);
                    float* dst = tile + (r * 6 + cc) * 16;
                    // Masked-off lanes are not read: their offsets may point anywhere.
                    Avx2.GatherMaskVector256(Vector256<float>.Zero, plane, baseLo + iwLo, okLo.AsSingle(), sizeof(float)).Store(dst);
                    Avx2.GatherMaskVector256(Vector256<float>.Zero, plane, baseHi + iwHi, okHi.AsSingle(), sizeof(float)).Store(dst + 8);
                }
            }
            return;
        }
        for (int lane = 0; lane < 16; lane++)
        {
            for (int r = 0; r < 6; r++)
            {
                int ih = rows[lane] + r * d;
                for (int cc = 0; cc < 6; cc++)
                {
                    int iw = cols[lane] + cc * d;
                    tile[(r * 6 + cc) * 16 + lane] = (uint)ih < (uint)h && (uint)iw < (uint)w ? plane[(nint)ih * w + iw] : 0f;
                }
            }
        }
    }

    /// <summary>B^T d B for 16 lanes: tile as gathered, half as scratch; position p goes to dst + p * posStride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputTransform<TS, TV>(float* tile, float* half, float* dst, nint posStride) where TS : struct, ISimd<TV> where TV : struct
    {
        for (int l = 0; l < 16; l += TS.Count)
        {
            // Columns: half[i][c] = sum_r B^T[i][r] tile[r][c].
            for (int c = 0; c < 6; c++)
            {
                float* s = tile + c * 16 + l;
                BT<TS, TV>(TS.Load(s), TS.Load(s + 6 * 16), TS.Load(s + 12 * 16), TS.Load(s + 18 * 16), TS.Load(s + 24 * 16), TS.Load(s + 30 * 16),
                    half + c * 16 + l, 6 * 16);
            }
            // Rows: V[i][j] = sum_c half[i][c] B^T[j][c].
            for (int i = 0; i < 6; i++)
            {
                float* s = half + i * 6 * 16 + l;
                BT<TS, TV>(TS.Load(s), TS.Load(s + 16), TS.Load(s + 32), TS.Load(s + 48), TS.Load(s + 64), TS.Load(s + 80),
                    dst + i * 6 * posStride + l, posStride);
            }
        }
    }

    /// <summary>Six rows of B^T times (d0 .. d5), stored stride apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void BT<TS, TV>(TV d0, TV d1, TV d2, TV d3, TV d4, TV d5, float* dst, nint stride) where TS : struct, ISimd<TV> where TV : struct
    {
        TV four = TS.Splat(4f), two = TS.Splat(2f), minusFive = TS.Splat(-5f);
        TV s12 = TS.Add(d1, d2), d12 = TS.Sub(d1, d2), d42 = TS.Sub(d4, d2), d31 = TS.Sub(d3, d1);
        TS.Store(dst, TS.Fma(four, d0, TS.Fma(minusFive, d2, d4)));
        TS.Store(dst + stride, TS.Sub(TS.Add(d3, d4), TS.Fma(four, s12, default)));
        TS.Store(dst + 2 * stride, TS.Fma(four, d12, TS.Sub(d4, d3)));
        TS.Store(dst + 3 * stride, TS.Fma(two, d31, d42));
        TS.Store(dst + 4 * stride, TS.Sub(d42, TS.Fma(two, d31, default)));
        TS.Store(dst + 5 * stride, TS.Fma(four, d1, TS.Fma(minusFive, d3, d5)));
    }

    /// <summary>
    /// A^T M A + bias for one output channel and 16 lanes: position p of lane l at product[p * posStride + l]; the 16
    /// outputs of each lane go to tile[(i * 4 + j) * 16 + lane], activated when act works in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void OutputTransform<TS, TV>(float* product, nint posStride, float* half, float* tile, float bias, Activation act)
        where TS : struct, ISimd<TV> where TV : struct
    {
        TV b = TS.Splat(bias);
        for (int l = 0; l < 16; l += TS.Count)
        {
            for (int c = 0; c < 6; c++)
            {
                float* s = product + c * posStride + l;
                AT<TS, TV>(TS.Load(s), TS.Load(s + 6 * posStride), TS.Load(s + 12 * posStride), TS.Load(s + 18 * posStride),
                    TS.Load(s + 24 * posStride), TS.Load(s + 30 * posStride), default, half + c * 16 + l, 6 * 16, Activation.None);
            }
            for (int i = 0; i < 4; i++)
            {
                float* s = half + i * 6 * 16 + l;
                AT<TS, TV>(TS.Load(s), TS.Load(s + 16), TS.Load(s + 32), TS.Load(s + 48), TS.Load(s + 64), TS.Load(s + 80), b,
                    tile + i * 4 * 16 + l, 16, act);
            }
        }
    }

    /// <summary>Four rows of A^T times (m0 .. m5) plus bias, activated, stored stride apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AT<TS, TV>(TV m0, TV m1, TV m2, TV m3, TV m4, TV m5, TV bias, float* dst, nint stride, Activation act)
        where TS : struct, ISimd<TV> where TV : struct
    {
        TV s12 = TS.Add(m1, m2), d12 = TS.Sub(m1, m2), s34 = TS.Add(m3, m4), d34 = TS.Sub(m3, m4);
        TS.Store(dst, Activate<TS, TV>(TS.Add(TS.Add(m0, bias), TS.Add(s12, s34)), act));
        TS.Store(dst + stride, Activate<TS, TV>(TS.Add(TS.Fma(TS.Splat(2f), d34, d12), bias), act));
        TS.Store(dst + 2 * stride, Activate<TS, TV>(TS.Add(TS.Fma(TS.Splat(4f), s34, s12), bias), act));
        TS.Store(dst + 3 * stride, Activate<TS, TV>(TS.Add(TS.Fma(TS.Splat(8f), d34, d12), TS.Add(m5, bias)), act));
    }

    /// <summary>The activations that work in registers (Activation.InRegisters); NaN passes as in Gemm's epilogue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Activate<TS, TV>(TV v, Activation act) where TS : struct, ISimd<TV> where TV : struct => act.Kind switch
    {
        ActivationKind.None => v,
        ActivationKind.Relu => TS.Max(default, v),
        ActivationKind.LeakyRelu => TS.Fma(TS.Splat(act.Alpha), TS.Min(default, v), TS.Max(default, v)),
        ActivationKind.Clip => TS.Min(TS.Splat(act.Beta), TS.Max(TS.Splat(act.Alpha), v)),
        _ => v,
    };

    /// <summary><see cref="WinogradScatter"/> adding the residual at each output's position, then the in-register activation.</summary>
    private static unsafe void WinogradScatterResidual(float* tile, float* y, float* residual, int oH, int oW, int d, int* rows, int* cols, int lanes, Activation act)
    {
        for (int lane = 0; lane < lanes; lane++)
            for (int i = 0; i < 4 && rows[lane] + i * d < oH; i++)
                for (int jj = 0; jj < 4 && cols[lane] + jj * d < oW; jj++)
                {
                    nint at = (nint)(rows[lane] + i * d) * oW + cols[lane] + jj * d;
                    y[at] = ActivateScalar(tile[(i * 4 + jj) * 16 + lane] + residual[at], act);
                }
    }

    /// <summary><see cref="Activate{TS, TV}"/> on one value (NaN passes the same way).</summary>
    internal static float ActivateScalar(float v, Activation act) => act.Kind switch
    {
        ActivationKind.Relu => MathF.Max(0f, v),
        ActivationKind.LeakyRelu => v < 0f ? act.Alpha * v : v,
        ActivationKind.Clip => MathF.Min(act.Beta, MathF.Max(act.Alpha, v)),
        _ => v,
    };

    /// <summary>Writes the 4x4 outputs of each lane's tile (rows and columns d apart), skipping those past the output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void WinogradScatter(float* tile, float* y, int oH, int oW, int d, int* rows, int* cols, int lanes)
    {
        for (int lane = 0; lane < lanes; lane++)
        {
            int r0 = rows[lane], c0 = cols[lane];
            if (r0 + 3 * d < oH && c0 + 3 * d < oW)
            {
                for (int i = 0; i < 4; i++)
                {
                    float* dst = y + (nint)(r0 + i * d) * oW + c0;
                    float* src = tile + i * 4 * 16 + lane;
                    dst[0] = src[0];
                    dst[d] = src[16];
                    dst[2 * d] = src[32];
                    dst[3 * d] = src[48];
                }
                continue;
            }
            for (int i = 0; i < 4 && r0 + i * d < oH; i++)
                for (int jj = 0; jj < 4 && c0 + jj * d < oW; jj++)
                    y[(nint)(r0 + i * d) * oW + c0 + jj * d] = tile[(i * 4 + jj) * 16 + lane];
        }
    }
}
