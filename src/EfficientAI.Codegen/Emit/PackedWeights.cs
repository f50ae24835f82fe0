using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Emit;

/// <summary>
/// Constant right operands of a GEMM laid out at compile time in the runtime's panel layout (Gemm.PackB): panels of
/// 16 columns, each k rows of 16 contiguous floats, zero-padded past n; alpha folded in. The run time then never packs.
/// </summary>
internal static class PackedWeights
{
    /// <summary>Must equal EfficientAI.Runtime.Gemm.PanelWidth.</summary>
    public const int PanelWidth = 16;

    /// <summary>
    /// True when packing n columns costs at most a quarter more ROM (the last panel is zero-padded to 16 columns):
    /// narrow layers (a classifier's 10 outputs) keep the plain layout, which has no padding.
    /// </summary>
    public static bool Worthwhile(int n) => n > 0 && ((n + PanelWidth - 1) / PanelWidth * PanelWidth - n) * 4 <= n;

    /// <summary>alpha * op(b) packed, where op(b) is b ([k, n]) or, with transB, the transpose of b stored as [n, k].</summary>
    public static Tensor Pack(Tensor b, int k, int n, bool transB, float alpha)
    {
        int panels = (n + PanelWidth - 1) / PanelWidth;
        var packed = new float[checked(panels * PanelWidth * k)];
        var src = b.ToFloats();
        for (int j = 0; j < n; j++)
        {
            int panel = j / PanelWidth * PanelWidth * k, lane = j % PanelWidth;
            for (int p = 0; p < k; p++) packed[panel + p * PanelWidth + lane] = alpha * (transB ? src[j * k + p] : src[p * n + j]);
        }
        return Tensor.FromFloats(new[] { packed.Length }, packed);
    }

    /// <summary>Must equal EfficientAI.Runtime.Conv.StreamedDepthBlock.</summary>
    public const int StreamedDepthBlock = 256;

    /// <summary>Must equal EfficientAI.Runtime.Conv.StreamedGroupWidth.</summary>
    public const int StreamedGroupWidth = 48;

    /// <summary>
    /// Weights [m, depth] in the order Conv.Conv2DFewPixelsStreamed reads them (Conv.PackStreamedWeights): per block of
    /// 256 rows of depth, per group of 48 output channels (the last: the rest, zero-padded to 16), the block's rows of
    /// the group's channels, so the layer's weights are one sequential stream. Same size as <see cref="Pack"/>'s panels.
    /// </summary>
    public static Tensor PackStreamed(Tensor weight, int m, int depth)
    {
        int mPad = (m + PanelWidth - 1) / PanelWidth * PanelWidth;
        var packed = new float[checked(mPad * depth)];
        var src = weight.ToFloats();
        for (int k0 = 0; k0 < depth; k0 += StreamedDepthBlock)
        {
            int kc = System.Math.Min(StreamedDepthBlock, depth - k0);
            for (int g0 = 0; g0 < mPad; g0 += StreamedGroupWidth)
            {
                int gw = System.Math.Min(StreamedGroupWidth, mPad - g0), at = k0 * mPad + g0 * kc;
                for (int p = 0; p < kc; p++)
                    for (int j = 0; j < gw && g0 + j < m; j++) packed[at + p * gw + j] = src[(g0 + j) * depth + k0 + p];
            }
        }
        return Tensor.FromFloats(new[] { packed.Length }, packed);
    }
}
