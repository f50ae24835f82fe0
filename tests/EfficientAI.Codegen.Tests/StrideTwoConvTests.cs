using System.Collections.Generic;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// Stride-2 Convs on im2col read their input's stride phases (Conv.StridePhaseFloats, planned in the Conv's scratch):
/// ResNet's downsampling block, a 3x3 stride 2 pad 1 Conv and the 1x1 stride 2 shortcut, gives ONNX Runtime's outputs,
/// on one thread and shared among two.
/// </summary>
public class StrideTwoConvTests
{
    private static float[] W(int n, int seed) => OrtReference.RandomFloats(n, seed, 0.2f);

    /// <summary>x -> Conv 3x3 s2 -> Relu -> Conv 3x3 -> Add(Conv 1x1 s2 of x) -> Relu.</summary>
    public static byte[] DownsamplingBlock(int c, int m, int h, int w)
    {
        var b = new OnnxBuilder(13).Input("x", 1, c, h, w);
        b.Node("Conv", new[] { "x", b.Initializer("w1", new[] { m, c, 3, 3 }, W(m * c * 9, 1)), b.Initializer("b1", new[] { m }, W(m, 2)) }, new[] { "c1" },
            A.Ints("pads", 1, 1, 1, 1), A.Ints("strides", 2, 2)).Node("Relu", "c1", "r1");
        b.Node("Conv", new[] { "r1", b.Initializer("w2", new[] { m, m, 3, 3 }, W(m * m * 9, 3)) }, new[] { "c2" }, A.Ints("pads", 1, 1, 1, 1));
        b.Node("Conv", new[] { "x", b.Initializer("wd", new[] { m, c, 1, 1 }, W(m * c, 4)) }, new[] { "d" }, A.Ints("strides", 2, 2));
        b.Node("Add", new[] { "c2", "d" }, new[] { "s" }).Node("Relu", "s", "y").Output("y");
        return b.Build();
    }

    [Theory]
    [InlineData(64, 128, 56, 56, 1)] // ResNet-18's first downsampling block (784 output pixels)
    [InlineData(64, 128, 56, 56, 2)]
    [InlineData(24, 40, 15, 17, 1)] // odd sizes: an odd phase row count, 72 output pixels (panel tails)
    [InlineData(24, 40, 15, 17, 2)]
    public void MatchesOnnxRuntime(int c, int m, int h, int w, int threads)
    {
        var metadata = threads > 1 ? new Dictionary<string, string> { ["Threads"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture) } : null;
        // The second Conv of the 56x56 block runs as Winograd F(4x4, 3x3): its tolerance grows with its depth (WinogradConvTests).
        ModelCheck.AgainstOrt(DownsamplingBlock(c, m, h, w), new[] { ("x", new[] { 1, c, h, w }) }, atol: 1e-5 * m * 9 * 0.2, metadata: metadata);
    }
}
