// GridSample: reads an image at arbitrary normalized coordinates. Coordinates outside the image are moved by the
// padding mode (clamped or reflected) before bilinear or nearest interpolation (bicubic pads each tap), and pixels outside read as zero, the edge or the
// reflection, as ONNX Runtime does.
using System;

namespace EfficientAI.Runtime;

/// <summary>Interpolation of GridSample.</summary>
public enum GridSampleMode
{
    /// <summary>bilinear over the 2x2 neighbours</summary>
    Bilinear,
    /// <summary>the nearest pixel (rounding half to even)</summary>
    Nearest,
    /// <summary>bicubic over the 4x4 neighbours (A = -0.75)</summary>
    Bicubic,
}

/// <summary>What GridSample reads outside the image.</summary>
public enum GridSamplePadding
{
    /// <summary>zero</summary>
    Zeros,
    /// <summary>the nearest edge pixel</summary>
    Border,
    /// <summary>the image reflected at its borders</summary>
    Reflection,
}

/// <summary>Sampling kernels.</summary>
public static class Sampling
{
    /// <summary>
    /// GridSample: x is [n, c, h, w], grid [n, outH, outW, 2] of (x, y) in [-1, 1], y [n, c, outH, outW]. With
    /// alignCorners, -1 and 1 are the centres of the corner pixels; without, their outer edges.
    /// </summary>
    public static void GridSample(ReadOnlySpan<float> x, ReadOnlySpan<float> grid, Span<float> y, int n, int c, int h, int w, int outH, int outW,
        GridSampleMode mode, GridSamplePadding padding, bool alignCorners)
    {
        if (x.Length < (long)n * c * h * w || grid.Length < (long)n * outH * outW * 2 || y.Length < (long)n * c * outH * outW)
            ThrowHelper.Argument("A span is shorter than its shape.");
        float xMin = alignCorners ? 0 : -0.5f, xMax = alignCorners ? w - 1 : w - 0.5f;
        float yMin = alignCorners ? 0 : -0.5f, yMax = alignCorners ? h - 1 : h - 0.5f;
        Span<float> cubic = stackalloc float[16];
        for (int b = 0; b < n; b++)
        {
            for (int oy = 0; oy < outH; oy++)
            {
                for (int ox = 0; ox < outW; ox++)
                {
                    int g = ((b * outH + oy) * outW + ox) * 2;
                    float px = Denormalize(grid[g], w, alignCorners), py = Denormalize(grid[g + 1], h, alignCorners);
                    if (mode == GridSampleMode.Nearest)
                    {
                        px = MathF.Round(px, MidpointRounding.ToEven);
                        py = MathF.Round(py, MidpointRounding.ToEven);
                    }
                    // Bicubic pads each of its 16 taps instead (as PyTorch and ONNX Runtime do).
                    if (mode != GridSampleMode.Bicubic && (px < xMin || px > xMax || py < yMin || py > yMax))
                    {
                        if (padding == GridSamplePadding.Border)
                        {
                            px = Math.Clamp(px, 0, w - 1);
                            py = Math.Clamp(py, 0, h - 1);
                        }
                        else if (padding == GridSamplePadding.Reflection)
                        {
                            px = Reflect(px, xMin, xMax);
                            py = Reflect(py, yMin, yMax);
                        }
                    }
                    for (int ch = 0; ch < c; ch++)
                    {
                        var image = x.Slice((b * c + ch) * h * w, h * w);
                        float value;
                        if (mode == GridSampleMode.Nearest)
                        {
                            value = Pixel(image, (int)px, (int)py, h, w, padding, xMin, xMax, yMin, yMax);
                        }
                        else if (mode == GridSampleMode.Bilinear)
                        {
                            int x0 = (int)MathF.Floor(px), y0 = (int)MathF.Floor(py);
                            float dx = px - x0, dy = py - y0;
                            float p00 = Pixel(image, x0, y0, h, w, padding, xMin, xMax, yMin, yMax), p01 = Pixel(image, x0 + 1, y0, h, w, padding, xMin, xMax, yMin, yMax);
                            float p10 = Pixel(image, x0, y0 + 1, h, w, padding, xMin, xMax, yMin, yMax), p11 = Pixel(image, x0 + 1, y0 + 1, h, w, padding, xMin, xMax, yMin, yMax);
                            value = (1 - dy) * ((1 - dx) * p00 + dx * p01) + dy * ((1 - dx) * p10 + dx * p11);
                        }
                        else
                        {
                            int x0 = (int)MathF.Floor(px) - 1, y0 = (int)MathF.Floor(py) - 1;
                            for (int i = 0; i < 4; i++)
                                for (int j = 0; j < 4; j++)
                                    cubic[i * 4 + j] = Pixel(image, x0 + j, y0 + i, h, w, padding, xMin, xMax, yMin, yMax);
                            value = Bicubic(cubic, px - x0 - 1, py - y0 - 1);
                        }
                        y[((b * c + ch) * outH + oy) * outW + ox] = value;
                    }
                }
            }
        }
    }

    private static float Denormalize(float v, int size, bool alignCorners) =>
        alignCorners ? (v + 1) / 2 * (size - 1) : ((v + 1) * size - 1) / 2;

    /// <summary>v folded into [min, max] by reflecting at the bounds as often as it takes.</summary>
    private static float Reflect(float v, float min, float max)
    {
        float range = max - min;
        if (range <= 0) return min;
        if (v < min)
        {
            float d = min - v;
            int k = (int)(d / range);
            float r = d - k * range;
            return k % 2 == 0 ? min + r : max - r;
        }
        if (v > max)
        {
            float d = v - max;
            int k = (int)(d / range);
            float r = d - k * range;
            return k % 2 == 0 ? max - r : min + r;
        }
        return v;
    }

    private static float Pixel(ReadOnlySpan<float> image, int px, int py, int h, int w, GridSamplePadding padding, float xMin, float xMax, float yMin, float yMax)
    {
        switch (padding)
        {
            case GridSamplePadding.Zeros:
                return px >= 0 && px < w && py >= 0 && py < h ? image[py * w + px] : 0f;
            case GridSamplePadding.Border:
                px = Math.Clamp(px, 0, w - 1);
                py = Math.Clamp(py, 0, h - 1);
                break;
            default:
                px = Math.Clamp((int)Reflect(px, xMin, xMax), 0, w - 1);
                py = Math.Clamp((int)Reflect(py, yMin, yMax), 0, h - 1);
                break;
        }
        return image[py * w + px];
    }

    // Cubic convolution weights (Keys, A = -0.75) at distances 1 + t, t, 1 - t, 2 - t.
    private static void CubicWeights(float t, Span<float> c)
    {
        const float A = -0.75f;
        float t1 = t + 1, t2 = 1 - t;
        c[0] = ((A * t1 - 5 * A) * t1 + 8 * A) * t1 - 4 * A;
        c[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
        c[2] = ((A + 2) * t2 - (A + 3)) * t2 * t2 + 1;
        c[3] = 1 - c[0] - c[1] - c[2];
    }

    private static float Bicubic(ReadOnlySpan<float> p, float dx, float dy)
    {
        Span<float> cx = stackalloc float[4];
        Span<float> cy = stackalloc float[4];
        CubicWeights(dx, cx);
        CubicWeights(dy, cy);
        float sum = 0;
        for (int i = 0; i < 4; i++)
        {
            float row = 0;
            for (int j = 0; j < 4; j++) row += cx[j] * p[i * 4 + j];
            sum += cy[i] * row;
        }
        return sum;
    }

    /// <summary>
    /// RoiAlign: for each region (x1, y1, x2, y2) of rois [count, 4] on image batchIndices[r] of x [n, c, h, w], y
    /// [count, c, outH, outW] is the average (or, with max, ONNX Runtime's maximum of weighted corners) of bilinear
    /// samples on a grid of samplingRatio (0: ceil(region / bins)) points per bin. halfPixel shifts coordinates by
    /// -0.5 (ONNX's default since opset 16); without it regions are at least one pixel.
    /// </summary>
    public static void RoiAlign<TIndex>(ReadOnlySpan<float> x, ReadOnlySpan<float> rois, ReadOnlySpan<TIndex> batchIndices, Span<float> y,
        int n, int c, int h, int w, int count, int outH, int outW, int samplingRatio, float spatialScale, bool halfPixel, bool max)
        where TIndex : unmanaged, System.Numerics.IBinaryInteger<TIndex>
    {
        if (x.Length < (long)n * c * h * w || rois.Length < count * 4 || batchIndices.Length < count || y.Length < (long)count * c * outH * outW)
            ThrowHelper.Argument("A span is shorter than its shape.");
        float offset = halfPixel ? 0.5f : 0f;
        for (int r = 0; r < count; r++)
        {
            long b = long.CreateTruncating(batchIndices[r]);
            if (b < 0 || b >= n) ThrowHelper.Argument("A batch index is outside [0, n).");
            float startW = rois[r * 4] * spatialScale - offset, startH = rois[r * 4 + 1] * spatialScale - offset;
            float width = rois[r * 4 + 2] * spatialScale - offset - startW, height = rois[r * 4 + 3] * spatialScale - offset - startH;
            if (!halfPixel)
            {
                width = Math.Max(width, 1f);
                height = Math.Max(height, 1f);
            }
            float binH = height / outH, binW = width / outW;
            int gridH = samplingRatio > 0 ? samplingRatio : (int)MathF.Ceiling(height / outH);
            int gridW = samplingRatio > 0 ? samplingRatio : (int)MathF.Ceiling(width / outW);
            float samples = Math.Max(gridH * gridW, 1);
            for (int ch = 0; ch < c; ch++)
            {
                var image = x.Slice((int)((b * c + ch) * h * w), h * w);
                for (int ph = 0; ph < outH; ph++)
                {
                    for (int pw = 0; pw < outW; pw++)
                    {
                        float sum = 0f, best = 0f;
                        bool first = true;
                        for (int iy = 0; iy < gridH; iy++)
                        {
                            float sy = startH + ph * binH + (iy + 0.5f) * binH / gridH;
                            for (int ix = 0; ix < gridW; ix++)
                            {
                                float sx = startW + pw * binW + (ix + 0.5f) * binW / gridW;
                                float v1 = 0, v2 = 0, v3 = 0, v4 = 0;
                                if (!(sy < -1f || sy > h || sx < -1f || sx > w))
                                {
                                    float yy = Math.Max(sy, 0f), xx = Math.Max(sx, 0f);
                                    int yLow = (int)yy, xLow = (int)xx, yHigh, xHigh;
                                    if (yLow >= h - 1) { yHigh = yLow = h - 1; yy = yLow; } else yHigh = yLow + 1;
                                    if (xLow >= w - 1) { xHigh = xLow = w - 1; xx = xLow; } else xHigh = xLow + 1;
                                    float ly = yy - yLow, lx = xx - xLow, hy = 1 - ly, hx = 1 - lx;
                                    v1 = hy * hx * image[yLow * w + xLow];
                                    v2 = hy * lx * image[yLow * w + xHigh];
                                    v3 = ly * hx * image[yHigh * w + xLow];
                                    v4 = ly * lx * image[yHigh * w + xHigh];
                                }
                                if (max)
                                {
                                    float m = Math.Max(Math.Max(Math.Max(v1, v2), v3), v4);
                                    best = first ? m : Math.Max(best, m);
                                    first = false;
                                }
                                else sum += v1 + v2 + v3 + v4;
                            }
                        }
                        y[((r * c + ch) * outH + ph) * outW + pw] = max ? best : sum / samples;
                    }
                }
            }
        }
    }
}
