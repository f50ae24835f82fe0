// Winograd F(4x4, 3x3) transforms by AVX-512 shuffles of whole rows, for undilated Convs. Sixteen tiles side by side
// in one tile row read columns 4t .. 4t + 5 of six input rows: five contiguous 16-float loads per row hold all 66 of
// those columns, and ten two-source permutes (vpermt2ps) sort them into the six column phases (phase p = column 4t + p
// of each tile, one tile per lane), so the transform runs in registers with no gather. The output transform does the
// reverse: its four column phases per output row interleave back into 64 contiguous floats, stored as whole vectors.
// A block's tiles are cut into segments that stay in one tile row (a 20-tile row is a 16-tile and a 4-tile segment);
// each segment is transformed as 16 tiles and stored at its panel lane with a whole-vector store, whose lanes past the
// segment spill into the next lanes or the next channel's row, which later stores overwrite (and a slack row absorbs
// the last spill). The per-lane gather path stays for dilated Convs and machines without AVX-512.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EfficientAI.Runtime;

public static partial class Conv
{
    /// <summary>Input transform of a block's tiles (undilated) into the packed panels: lane order within each panel row.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WinogradInputShuffled(ref WinogradJob j, float* x, float* v, int t0, int count)
    {
        float* half = stackalloc float[WinogradPositions * 16];
        int* segRow = stackalloc int[16];
        int* segLane = stackalloc int[16];
        // Per segment, where its five row vectors load from and how they permute (zeros for columns outside the row).
        int* segBase = stackalloc int[16 * SegmentVectors];
        int* segIndex = stackalloc int[16 * SegmentVectors * 16];
        bool* segEdge = stackalloc bool[16];
        int c = j.C, h = j.H, w = j.W, tilesW = j.TilesW;
        nint plane = (nint)h * w;
        for (int q = 0; q * 16 < count; q++)
        {
            // Segments of this panel: runs of lanes whose tiles share a tile row.
            int lanes = Math.Min(16, count - q * 16), segments = 0;
            for (int lane = 0; lane < lanes; segments++)
            {
                int t = t0 + q * 16 + lane, row = t / tilesW, col = t - row * tilesW;
                segRow[segments] = 4 * row - j.PadTop;
                segLane[segments] = lane;
                segEdge[segments] = SegmentColumns(4 * col - j.PadLeft, w, segBase + segments * SegmentVectors, segIndex + segments * SegmentVectors * 16);
                lane += Math.Min(lanes - lane, tilesW - col);
            }
            float* panel = v + (nint)q * c * 16;
            for (int ic = 0; ic < c; ic++)
            {
                float* xc = x + ic * plane;
                for (int s = 0; s < segments; s++)
                {
                    float* dst = panel + (nint)ic * 16 + segLane[s];
                    if (segEdge[s])
                        InputSegment<EdgeColumns>(xc, h, w, segRow[s], segBase + s * SegmentVectors, segIndex + s * SegmentVectors * 16, half, dst, j.PanelStride);
                    else
                        InputSegment<InteriorColumns>(xc, h, w, segRow[s], segBase + s * SegmentVectors, null, half, dst, j.PanelStride);
                }
            }
        }
    }

    /// <summary>Row vectors per segment: columns 0-15, 16-31, 32-47, 48-63 and 50-65 of its 16 tiles.</summary>
    private const int SegmentVectors = 5;

    /// <summary>
    /// Where a segment's five row vectors load from (each a whole vector inside the row, w &gt;= 16) and, when one of
    /// them overhangs the row (true), the permutes that move its columns into place: index 16 takes a zero.
    /// </summary>
    private static unsafe bool SegmentColumns(int col0, int w, int* bases, int* indices)
    {
        bool edge = false;
        for (int k = 0; k < SegmentVectors; k++)
        {
            int start = col0 + (k < 4 ? 16 * k : 50);
            int from = Math.Clamp(start, 0, w - 16);
            bases[k] = from;
            edge |= from != start;
            for (int i = 0; i < 16; i++)
                indices[k * 16 + i] = (uint)(start + i) < (uint)w ? start + i - from : 16;
        }
        return edge;
    }

    private unsafe interface IColumns
    {
        static abstract Vector512<float> Load(float* row, int* bases, int* indices, int k);
    }

    /// <summary>Every row vector lies inside the row.</summary>
    private readonly struct InteriorColumns : IColumns
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector512<float> Load(float* row, int* bases, int* indices, int k) => Vector512.Load(row + bases[k]);
    }

    /// <summary>Some overhang the row: load the whole vector inside it and permute, zeros past the row's ends.</summary>
    private readonly struct EdgeColumns : IColumns
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector512<float> Load(float* row, int* bases, int* indices, int k) =>
            Avx512F.PermuteVar16x32x2(Vector512.Load(row + bases[k]), Vector512.Load(indices + k * 16), Vector512<float>.Zero);
    }

    /// <summary>
    /// B^T d B of 16 tiles side by side whose top input row is row0 (zero outside the plane), the columns as
    /// <see cref="SegmentColumns"/> set out; position p of tile l stored at dst[p * posStride + l].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputSegment<TColumns>(float* plane, int h, int w, int row0, int* bases, int* indices, float* half, float* dst, nint posStride)
        where TColumns : struct, IColumns
    {
        var pairs01 = Vector512.Create(0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29);
        var pairs23 = Vector512.Create(2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        var next0 = Vector512.Create(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 30);
        var next1 = Vector512.Create(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 31);
        // Rows: half[r][p] = sum_cc B^T[p][cc] d[r][cc], per column phase cc.
        for (int r = 0; r < 6; r++)
        {
            int iy = row0 + r;
            float* o = half + r * 6 * 16;
            if ((uint)iy >= (uint)h)
            {
                for (int p = 0; p < 6; p++) Vector512<float>.Zero.Store(o + p * 16);
                continue;
            }
            float* rp = plane + (nint)iy * w;
            // Columns 0 .. 63 of the segment in a..d, 50 .. 65 in e (the 17th tile's first two columns).
            var a = TColumns.Load(rp, bases, indices, 0);
            var b = TColumns.Load(rp, bases, indices, 1);
            var c = TColumns.Load(rp, bases, indices, 2);
            var d = TColumns.Load(rp, bases, indices, 3);
            var e = TColumns.Load(rp, bases, indices, 4);
            // Column phases 0/1 and 2/3 of tiles 0-7 (from a, b) and 8-15 (from c, d), then split by phase.
            var ab01 = Avx512F.PermuteVar16x32x2(a, pairs01, b);
            var cd01 = Avx512F.PermuteVar16x32x2(c, pairs01, d);
            var ab23 = Avx512F.PermuteVar16x32x2(a, pairs23, b);
            var cd23 = Avx512F.PermuteVar16x32x2(c, pairs23, d);
            var p0 = Avx512F.PermuteVar16x32x2(ab01, even, cd01);
            var p1 = Avx512F.PermuteVar16x32x2(ab01, odd, cd01);
            var p2 = Avx512F.PermuteVar16x32x2(ab23, even, cd23);
            var p3 = Avx512F.PermuteVar16x32x2(ab23, odd, cd23);
            // Phases 4 and 5 are phases 0 and 1 of the next tile.
            var p4 = Avx512F.PermuteVar16x32x2(p0, next0, e);
            var p5 = Avx512F.PermuteVar16x32x2(p1, next1, e);
            BT<Simd512, Vector512<float>>(p0, p1, p2, p3, p4, p5, o, 16);
        }
        // Columns: V[i][p] = sum_r B^T[i][r] half[r][p].
        for (int p = 0; p < 6; p++)
        {
            float* s = half + p * 16;
            BT<Simd512, Vector512<float>>(Vector512.Load(s), Vector512.Load(s + 96), Vector512.Load(s + 192), Vector512.Load(s + 288),
                Vector512.Load(s + 384), Vector512.Load(s + 480), dst + p * posStride, 6 * posStride);
        }
    }

    /// <summary>Output transform of a block's tiles (undilated), bias and in-register activation, stored as whole rows.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WinogradOutputShuffled(ref WinogradJob j, float* product, float* y, float* residual, int t0, int count, Activation act)
    {
        float* half = stackalloc float[WinogradPositions * 16];
        float* tile = stackalloc float[16 * 16];
        var pairsLo = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var pairsHi = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        var quadsLo = Vector512.Create(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
        var quadsHi = Vector512.Create(8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
        int m = j.M, tilesW = j.TilesW, oH = j.OH, oW = j.OW;
        nint posStride = j.ProductStride, plane = (nint)oH * oW;
        for (int lane = 0; lane < count;)
        {
            int t = t0 + lane, row = t / tilesW, col = t - row * tilesW;
            int k = Math.Min(Math.Min(16, count - lane), tilesW - col);
            int rows = Math.Min(4, oH - 4 * row), cols = Math.Min(4 * k, oW - 4 * col);
            for (int oc = 0; oc < m; oc++)
            {
                OutputTransform<Simd512, Vector512<float>>(product + (nint)oc * j.Block + lane, posStride, half, tile, j.Bias == null ? 0f : j.Bias[oc],
                    residual == null ? act : Activation.None);
                nint at = oc * plane + (nint)(4 * row) * oW + 4 * col;
                float* dst = y + at;
                if (residual != null)
                {
                    // A residual joins each row as it is stored, then the activation.
                    float* res = residual + at;
                    for (int i = 0; i < rows; i++, dst += oW, res += oW)
                    {
                        float* s = tile + i * 4 * 16;
                        Vector512<float> o0 = Vector512.Load(s), o1 = Vector512.Load(s + 16), o2 = Vector512.Load(s + 32), o3 = Vector512.Load(s + 48);
                        var lo01 = Avx512F.PermuteVar16x32x2(o0, pairsLo, o1);
                        var hi01 = Avx512F.PermuteVar16x32x2(o0, pairsHi, o1);
                        var lo23 = Avx512F.PermuteVar16x32x2(o2, pairsLo, o3);
                        var hi23 = Avx512F.PermuteVar16x32x2(o2, pairsHi, o3);
                        StoreColumnsResidual(dst, res, Avx512F.PermuteVar16x32x2(lo01, quadsLo, lo23), cols, act);
                        if (cols > 16) StoreColumnsResidual(dst + 16, res + 16, Avx512F.PermuteVar16x32x2(lo01, quadsHi, lo23), cols - 16, act);
                        if (cols > 32) StoreColumnsResidual(dst + 32, res + 32, Avx512F.PermuteVar16x32x2(hi01, quadsLo, hi23), cols - 32, act);
                        if (cols > 48) StoreColumnsResidual(dst + 48, res + 48, Avx512F.PermuteVar16x32x2(hi01, quadsHi, hi23), cols - 48, act);
                    }
                    continue;
                }
                for (int i = 0; i < rows; i++, dst += oW)
                {
                    // Output columns 0-3 of each tile (one tile per lane) into 64 floats in tile order.
                    float* s = tile + i * 4 * 16;
                    Vector512<float> o0 = Vector512.Load(s), o1 = Vector512.Load(s + 16), o2 = Vector512.Load(s + 32), o3 = Vector512.Load(s + 48);
                    var lo01 = Avx512F.PermuteVar16x32x2(o0, pairsLo, o1);
                    var hi01 = Avx512F.PermuteVar16x32x2(o0, pairsHi, o1);
                    var lo23 = Avx512F.PermuteVar16x32x2(o2, pairsLo, o3);
                    var hi23 = Avx512F.PermuteVar16x32x2(o2, pairsHi, o3);
                    StoreColumns(dst, Avx512F.PermuteVar16x32x2(lo01, quadsLo, lo23), cols);
                    if (cols > 16) StoreColumns(dst + 16, Avx512F.PermuteVar16x32x2(lo01, quadsHi, lo23), cols - 16);
                    if (cols > 32) StoreColumns(dst + 32, Avx512F.PermuteVar16x32x2(hi01, quadsLo, hi23), cols - 32);
                    if (cols > 48) StoreColumns(dst + 48, Avx512F.PermuteVar16x32x2(hi01, quadsHi, hi23), cols - 48);
                }
            }
            lane += k;
        }
    }

    /// <summary>The first min(n, 16) lanes of act(v + residual) at dst (residual may be dst: it is read first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreColumnsResidual(float* dst, float* residual, Vector512<float> v, int n, Activation act)
    {
        if (n >= 16)
        {
            Activate<Simd512, Vector512<float>>(v + Vector512.Load(residual), act).Store(dst);
            return;
        }
        StorePartResidual(dst, residual, v, n, act);
    }

    /// <summary>Fewer than 16 lanes: 8 and 4 at a time, the rest one by one (rows of 28 and 56 end in 12 and 8).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void StorePartResidual(float* dst, float* residual, Vector512<float> v, int n, Activation act)
    {
        var part = v.GetLower();
        if (n >= 8)
        {
            Activate<Simd256, Vector256<float>>(part + Vector256.Load(residual), act).Store(dst);
            part = v.GetUpper();
            dst += 8;
            residual += 8;
            n -= 8;
        }
        var quarter = part.GetLower();
        if (n >= 4)
        {
            Activate<Simd128, Vector128<float>>(quarter + Vector128.Load(residual), act).Store(dst);
            quarter = part.GetUpper();
            dst += 4;
            residual += 4;
            n -= 4;
        }
        for (int i = 0; i < n; i++) dst[i] = ActivateScalar(quarter.GetElement(i) + residual[i], act);
    }

    /// <summary>The first min(n, 16) lanes of v at dst.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreColumns(float* dst, Vector512<float> v, int n)
    {
        if (n >= 16)
        {
            v.Store(dst);
            return;
        }
        StorePart(dst, v, n);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void StorePart(float* dst, Vector512<float> v, int n)
    {
        var part = v.GetLower();
        if (n >= 8)
        {
            part.Store(dst);
            part = v.GetUpper();
            dst += 8;
            n -= 8;
        }
        var quarter = part.GetLower();
        if (n >= 4)
        {
            quarter.Store(dst);
            quarter = part.GetUpper();
            dst += 4;
            n -= 4;
        }
        for (int i = 0; i < n; i++) dst[i] = quarter.GetElement(i);
    }
}
