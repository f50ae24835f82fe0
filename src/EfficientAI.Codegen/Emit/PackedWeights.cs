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
}
