using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Resize against ONNX Runtime: nearest and linear, every supported coordinate rule and rounding, scales and sizes, opsets 10-18.</summary>
public class ResizeTests
{
    private static readonly int[] Input = { 1, 2, 5, 6 };

    private static byte[] Model(int opset, string mode, string? coordinates, string? nearest, float[]? scales, long[]? sizes, int[]? inShape = null,
        float[]? roi = null, Onnx.Proto.AttributeProto[]? extra = null)
    {
        var shape = inShape ?? Input;
        var b = new OnnxBuilder(opset).Input("x", shape);
        var attrs = new List<Onnx.Proto.AttributeProto> { A.Str("mode", mode) };
        if (coordinates is not null) attrs.Add(A.Str("coordinate_transformation_mode", coordinates));
        if (nearest is not null) attrs.Add(A.Str("nearest_mode", nearest));
        if (extra is not null) attrs.AddRange(extra);
        string[] inputs;
        if (opset < 11) inputs = new[] { "x", b.Initializer("scales", new[] { scales!.Length }, scales) };
        else
        {
            var roiName = b.Initializer("roi", new[] { roi?.Length ?? 0 }, roi ?? Array.Empty<float>());
            var s = scales is null ? (opset >= 13 ? "" : b.Initializer("scales", new[] { 0 }, Array.Empty<float>())) : b.Initializer("scales", new[] { scales.Length }, scales);
            inputs = sizes is null ? new[] { "x", roiName, s } : new[] { "x", roiName, s, b.Initializer("sizes", new[] { sizes.Length }, sizes) };
        }
        b.Node("Resize", inputs, new[] { "y" }, attrs.ToArray()).Output("y");
        return b.Build();
    }

    [Theory]
    [InlineData(11, "asymmetric", "floor", new[] { 1f, 1f, 2f, 2f })]
    [InlineData(11, "asymmetric", "floor", new[] { 1f, 1f, 0.6f, 0.5f })]
    [InlineData(13, "half_pixel", "round_prefer_floor", new[] { 1f, 1f, 1.5f, 2.5f })]
    [InlineData(13, "half_pixel", "round_prefer_ceil", new[] { 1f, 1f, 0.5f, 0.7f })]
    [InlineData(13, "align_corners", "ceil", new[] { 1f, 1f, 3f, 1.5f })]
    [InlineData(13, "pytorch_half_pixel", "floor", new[] { 1f, 2f, 2f, 0.5f })]
    [InlineData(18, "asymmetric", "round_prefer_floor", new[] { 1f, 1f, 2f, 3f })]
    [InlineData(13, "tf_half_pixel_for_nn", "round_prefer_ceil", new[] { 1f, 1f, 0.6f, 1.7f })]
    public void NearestWithScales(int opset, string coordinates, string nearest, float[] scales) =>
        ModelCheck.AgainstOrt(Model(opset, "nearest", coordinates, nearest, scales, null), new[] { ("x", Input) }, rtol: 0, atol: 0);

    [Fact]
    public void NearestOpset10() =>
        ModelCheck.AgainstOrt(Model(10, "nearest", null, null, new[] { 1f, 1f, 2f, 1.5f }, null), new[] { ("x", Input) }, rtol: 0, atol: 0);

    [Theory]
    [InlineData(11, "half_pixel", new long[] { 1, 2, 10, 12 })]
    [InlineData(11, "half_pixel", new long[] { 1, 2, 7, 4 })]
    [InlineData(13, "align_corners", new long[] { 1, 2, 9, 11 })]
    [InlineData(13, "asymmetric", new long[] { 1, 2, 10, 3 })]
    [InlineData(13, "pytorch_half_pixel", new long[] { 1, 2, 1, 13 })]
    public void LinearWithSizes(int opset, string coordinates, long[] sizes) =>
        ModelCheck.AgainstOrt(Model(opset, "linear", coordinates, null, null, sizes), new[] { ("x", Input) }, rtol: 1e-5, atol: 1e-6);

    [Theory]
    [InlineData(13, "half_pixel", new[] { 1f, 1f, 2f, 2f })]
    [InlineData(13, "asymmetric", new[] { 1f, 1f, 0.5f, 1.5f })]
    public void LinearWithScales(int opset, string coordinates, float[] scales) =>
        ModelCheck.AgainstOrt(Model(opset, "linear", coordinates, null, scales, null), new[] { ("x", Input) }, rtol: 1e-5, atol: 1e-6);

    [Fact]
    public void NearestOnThreeDimensionsAndNhwc() =>
        ModelCheck.AgainstOrt(Model(13, "nearest", "asymmetric", "floor", new[] { 1f, 2f, 2f, 1f }, null, new[] { 1, 3, 4, 2 }), new[] { ("x", new[] { 1, 3, 4, 2 }) }, rtol: 0, atol: 0);

    [Theory]
    [InlineData("nearest")]
    public void NearestCropAndResizeIsRefused(string mode)
    {
        var model = Model(13, mode, "tf_crop_and_resize", null, null, new long[] { 1, 2, 3, 3 }, roi: new[] { 0f, 0f, 0.2f, 0.1f, 1f, 1f, 0.8f, 0.9f });
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(model, "resize_bad.onnx"));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0101", d.Id);
        Assert.Contains(mode + " with tf_crop_and_resize", d.GetMessage());
    }

    /// <summary>Cubic: every coordinate rule, cubic_coeff_a, exclude_outside, up and down. Tolerance rtol 1e-4 / atol 1e-5
    /// (sixteen taps in float: measured max abs error ~5e-7).</summary>
    [Theory]
    [InlineData(13, "half_pixel", -0.75f, 0, new[] { 1f, 1f, 2f, 1.5f }, null)]
    [InlineData(13, "half_pixel", -0.5f, 1, new[] { 1f, 1f, 0.6f, 0.8f }, null)]
    [InlineData(13, "align_corners", -0.75f, 0, new[] { 1f, 1f, 1.4f, 2f }, null)]
    [InlineData(13, "asymmetric", -0.5f, 1, new[] { 1f, 1f, 2f, 2f }, null)]
    [InlineData(13, "pytorch_half_pixel", -0.75f, 0, null, new long[] { 1, 2, 9, 4 })]
    [InlineData(11, "half_pixel", -0.75f, 1, null, new long[] { 1, 2, 3, 11 })]
    public void Cubic(int opset, string coordinates, float a, int excludeOutside, float[]? scales, long[]? sizes) =>
        ModelCheck.AgainstOrt(Model(opset, "cubic", coordinates, null, scales, sizes, extra: new[] { A.Float("cubic_coeff_a", a), A.Int("exclude_outside", excludeOutside) }),
            new[] { ("x", Input) }, rtol: 1e-4, atol: 1e-5);

    /// <summary>tf_crop_and_resize: a region of interest, outputs outside the input take extrapolation_value.</summary>
    [Theory]
    [InlineData("linear", new[] { 0f, 0f, 0.2f, 0.1f, 1f, 1f, 0.8f, 0.9f }, new long[] { 1, 2, 4, 5 })]
    [InlineData("linear", new[] { 0f, 0f, -0.3f, 0.4f, 1f, 1f, 1.2f, 1.3f }, new long[] { 1, 2, 7, 3 })]
    [InlineData("linear", new[] { 0f, 0f, 0.1f, -0.2f, 1f, 1f, 1.1f, 0.7f }, new long[] { 1, 2, 6, 6 })]
    [InlineData("cubic", new[] { 0f, 0f, 0.1f, -0.2f, 1f, 1f, 1.1f, 0.7f }, new long[] { 1, 2, 6, 7 })]
    [InlineData("cubic", new[] { 0f, 0f, -0.3f, 0.2f, 1f, 1f, 0.8f, 1.3f }, new long[] { 1, 2, 4, 9 })]
    public void CropAndResize(string mode, float[] roi, long[] sizes) =>
        ModelCheck.AgainstOrt(Model(13, mode, "tf_crop_and_resize", null, null, sizes, roi: roi, extra: new[] { A.Float("extrapolation_value", 7.5f) }),
            new[] { ("x", Input) }, rtol: 1e-4, atol: 1e-5);

    [Fact]
    public void CropAndResizeWithScales() =>
        ModelCheck.AgainstOrt(Model(13, "linear", "tf_crop_and_resize", null, new[] { 1f, 1f, 2f, 1.5f }, null, roi: new[] { 0f, 0f, 0.2f, 0.1f, 1f, 1f, 0.9f, 1.2f }),
            new[] { ("x", Input) }, rtol: 1e-4, atol: 1e-5);

    [Theory]
    [InlineData(7, "nearest")]
    [InlineData(7, "linear")]
    [InlineData(9, "nearest")]
    [InlineData(9, "linear")]
    public void Upsample(int opset, string mode)
    {
        var b = new OnnxBuilder(opset).Input("x", Input);
        var scales = new[] { 1f, 1f, 2f, 3f };
        if (opset < 9) b.Node("Upsample", new[] { "x" }, new[] { "y" }, A.Str("mode", mode), A.Floats("scales", scales));
        else b.Node("Upsample", new[] { "x", b.Initializer("scales", new[] { 4 }, scales) }, new[] { "y" }, A.Str("mode", mode));
        b.Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", Input) }, rtol: 1e-5, atol: 1e-6);
    }

    [Fact]
    public void LinearOnALeadingAxisIsRefused()
    {
        var model = Model(13, "linear", "half_pixel", null, new[] { 1f, 2f, 1f, 1f }, null);
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(model, "resize_axis.onnx"));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0101", d.Id);
        Assert.Contains("axis 1", d.GetMessage());
    }
}
