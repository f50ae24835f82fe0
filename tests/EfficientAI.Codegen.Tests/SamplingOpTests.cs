using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>GridSample against ONNX Runtime: every mode, padding mode and align_corners, with grid points outside [-1, 1].</summary>
public class SamplingOpTests
{
    public static IEnumerable<object[]> Variants() =>
        from mode in new[] { "bilinear", "nearest", "bicubic" }
        from padding in new[] { "zeros", "border", "reflection" }
        from align in new[] { 0, 1 }
        select new object[] { mode, padding, align };

    [Theory]
    [MemberData(nameof(Variants))]
    public void GridSample(string mode, string padding, int alignCorners)
    {
        var b = new OnnxBuilder(16).Input("x", 2, 3, 5, 6).Input("grid", 2, 4, 7, 2)
            .Node("GridSample", new[] { "x", "grid" }, new[] { "y" }, A.Str("mode", mode), A.Str("padding_mode", padding), A.Int("align_corners", alignCorners))
            .Output("y");
        // Grid coordinates in [-1.6, 1.6): a fifth of the points fall outside the image.
        var grid = OrtReference.RandomFloats(2 * 4 * 7 * 2, 7, 1.6f);
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)OrtReference.RandomFloats(180, 3, 2f), new[] { 2, 3, 5, 6 }), ("grid", grid, new[] { 2, 4, 7, 2 }) });
    }
}
