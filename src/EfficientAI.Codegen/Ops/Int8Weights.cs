using System;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Compile-time int8 weights: symmetric per-output-channel quantization and the packed layout of the runtime's
/// Int8Gemm.PackB (groups of four depth values per column, columns padded to 16, depth to 4), so the generated
/// code reads weights ready for the kernels. Tests check the layout against the runtime's packer.
/// </summary>
internal static class Int8Weights
{
    /// <summary>Values quantize to [-127, 127] (symmetric: -128 is left out so negation stays in range).</summary>
    public const int Max = 127;

    /// <summary>Per-channel scales max|w| / 127 (1 for an all-zero channel) and the rounded weights.</summary>
    public static (sbyte[] Values, float[] Scales) Quantize(float[] w, int channels, Func<int, int> channelOf)
    {
        var scales = new float[channels];
        for (int i = 0; i < w.Length; i++) scales[channelOf(i)] = Math.Max(scales[channelOf(i)], Math.Abs(w[i]));
        for (int ch = 0; ch < channels; ch++) scales[ch] = scales[ch] > 0f ? scales[ch] / Max : 1f;
        var q = new sbyte[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            double v = Math.Round((double)(w[i] / scales[channelOf(i)]));
            q[i] = (sbyte)Math.Max(-Max, Math.Min(Max, v));
        }
        return (q, scales);
    }

    private static int RoundUp(int v, int to) => (v + to - 1) / to * to;

    public static int PackedLength(int k, int n) => RoundUp(k, 4) * RoundUp(n, 16);

    /// <summary>Packs b ([k, n], or [n, k] when transposed) starting at b[offset] into packed[at..]; column sums into colSums[sumAt..].</summary>
    public static void Pack(sbyte[] b, int offset, bool transposed, int k, int n, sbyte[] packed, int at, int[] colSums, int sumAt)
    {
        int nPad = RoundUp(n, 16);
        for (int p = 0; p < k; p++)
        {
            int rowBase = at + (p >> 2) * nPad * 4 + (p & 3);
            for (int j = 0; j < n; j++)
            {
                sbyte v = b[offset + (transposed ? j * k + p : p * n + j)];
                packed[rowBase + j * 4] = v;
                colSums[sumAt + j] += v;
            }
        }
    }

    /// <summary>
    /// As <see cref="Pack"/> in the runtime's Int8PanelGemm.PackB layout: each 16-column panel holds all its depth quads
    /// in a row, packed[at + (j / 16) * RoundUp(k, 4) * 16 + (p / 4) * 64 + (j % 16) * 4 + p % 4].
    /// </summary>
    public static void PackPanels(sbyte[] b, int offset, bool transposed, int k, int n, sbyte[] packed, int at, int[] colSums, int sumAt)
    {
        int panelBytes = RoundUp(k, 4) * 16;
        for (int j = 0; j < n; j++)
        {
            int column = at + j / 16 * panelBytes + j % 16 * 4;
            for (int p = 0; p < k; p++)
            {
                sbyte v = b[offset + (transposed ? j * k + p : p * n + j)];
                packed[column + (p >> 2) * 64 + (p & 3)] = v;
                colSums[sumAt + j] += v;
            }
        }
    }
}
