using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>GridSample (every mode, padding mode and align_corners, grid points outside [-1, 1]) and RoiAlign against ONNX Runtime.</summary>
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

    /// <summary>Regions inside, across and past the image edges; avg and max; both coordinate modes; fixed and adaptive sampling.</summary>
    [Theory]
    [InlineData("avg", "half_pixel", 0)] [InlineData("avg", "output_half_pixel", 2)] [InlineData("max", "half_pixel", 2)] [InlineData("max", "output_half_pixel", 0)]
    public void RoiAlign(string mode, string coordinates, int samplingRatio)
    {
        var b = new OnnxBuilder(16).Input("x", 2, 3, 8, 10).Input("rois", 5, 4).Typed("batch", 7, 5)
            .Node("RoiAlign", new[] { "x", "rois", "batch" }, new[] { "y" }, A.Str("mode", mode), A.Str("coordinate_transformation_mode", coordinates),
                A.Int("sampling_ratio", samplingRatio), A.Float("spatial_scale", 0.5f), A.Int("output_height", 3), A.Int("output_width", 4))
            .Output("y");
        var rois = new[] { 0f, 0f, 19f, 15f, 2.5f, 3f, 9f, 7.5f, -4f, -2f, 6f, 30f, 10f, 1f, 12f, 2f, 15f, 12f, 24f, 20f };
        TypedInputs.AgainstOrt(b.Build(), new[]
        {
            ("x", (Array)OrtReference.RandomFloats(480, 5, 2f), new[] { 2, 3, 8, 10 }), ("rois", rois, new[] { 5, 4 }), ("batch", new long[] { 0, 1, 1, 0, 1 }, new[] { 5 }),
        });
    }
}
