using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// Quantize="int8" on the development models: per output, the cosine similarity between the int8 build and float
/// ONNX Runtime on the same realistic inputs, and the max abs error relative to the output's largest |value|
/// (docs/compression.md quotes the printed figures). The two small models run always; BlazeFace and M-LSD (large
/// compiles) only with EAI_QUANT_DEV=1.
/// </summary>
public class QuantizedDevModelTests
{
    private readonly ITestOutputHelper _output;
    public QuantizedDevModelTests(ITestOutputHelper output) => _output = output;

    private static float[] Uniform(int n, int seed, float lo, float hi)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + (float)rng.NextDouble() * (hi - lo)).ToArray();
    }

    public static IEnumerable<object[]> Models() => new[]
    {
        new object[] { "hello_deepa.onnx", "onnx::Flatten_0", new[] { 1, 25, 96 }, "", false, 0.99 },
        new object[] { "ch_ppocr_mobile_v2.0_cls_infer.onnx", "x", new[] { 1, 3, 48, 192 }, "x=1x3x48x192", false, 0.99 },
        new object[] { "face_detection_front_128x128_barracuda.onnx", "input:0", new[] { 1, 128, 128, 3 }, "", true, 0.99 },
        // Measured, not gated: dynamic per-tensor activations lose M-LSD's line maps (docs/compression.md).
        new object[] { "mlsd_320x320_tiny.onnx", "input_image_with_alpha:0", new[] { 1, 320, 320, 4 }, "", true, -1.0 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Int8AgreesWithFloat(string file, string input, int[] shape, string shapes, bool heavy, double minCosine) =>
        Compare(file, input, shape, shapes, heavy, minCosine, calibrated: false);

    /// <summary>
    /// The same with static activation scales, calibrated (MinMax) on 8 inputs of the same kind drawn with other seeds than
    /// the compared input; gated like the dynamic build except M-LSD, measured only.
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void StaticInt8AgreesWithFloat(string file, string input, int[] shape, string shapes, bool heavy, double minCosine) =>
        Compare(file, input, shape, shapes, heavy, minCosine, calibrated: true);

    private static float[] RealisticInput(string file, int n, int seed) =>
        file.StartsWith("mlsd", StringComparison.Ordinal) ? RealModelTests.LineImage(seed)
            : file.StartsWith("face", StringComparison.Ordinal) ? Uniform(n, seed, 0f, 1f) : Uniform(n, seed, -1f, 1f);

    private void Compare(string file, string input, int[] shape, string shapes, bool heavy, double minCosine, bool calibrated)
    {
        if (heavy && Environment.GetEnvironmentVariable("EAI_QUANT_DEV") != "1")
        {
            _output.WriteLine("SKIPPED: set EAI_QUANT_DEV=1 for the large models");
            return;
        }
        var model = DevModels.Load(file, _output);
        if (model is null) return;
        int n = shape.Aggregate(1, (a, b) => a * b);
        // Realistic scales: features in [-1, 1) for the wake-word head and the OCR classifier, an image in [0, 1)
        // for BlazeFace, M-LSD's synthetic picture of lines (RealModelTests).
        var x = RealisticInput(file, n, 1);
        var metadata = new Dictionary<string, string> { ["Quantize"] = "int8" };
        if (shapes.Length > 0) metadata["Shapes"] = shapes;
        var calibration = new List<string>();
        if (calibrated)
        {
            const int samples = 8;
            var data = Enumerable.Range(0, samples).SelectMany(i => RealisticInput(file, n, 100 + i)).ToArray();
            calibration.Add(GeneratorHarness.WriteNpy("calib_" + System.IO.Path.GetFileNameWithoutExtension(file) + ".npy", new[] { samples }.Concat(shape).ToArray(), data));
            metadata["Calibration"] = System.IO.Path.GetFileName(calibration[0]);
        }
        var expected = OrtReference.Run(model, new[] { (input, (Array)x, shape) });
        var actual = GeneratorHarness.Compile(model, metadata, (calibrated ? "static_int8_" : "int8_") + file, calibration.ToArray()).Run(x);
        for (int o = 0; o < expected.Length; o++)
        {
            var e = (float[])expected[o];
            var a = (float[])actual[o];
            double dot = 0, ee = 0, aa = 0, maxAbs = 0, range = 0;
            for (int i = 0; i < e.Length; i++)
            {
                dot += (double)e[i] * a[i];
                ee += (double)e[i] * e[i];
                aa += (double)a[i] * a[i];
                maxAbs = Math.Max(maxAbs, Math.Abs((double)a[i] - e[i]));
                range = Math.Max(range, Math.Abs((double)e[i]));
            }
            double cosine = ee == 0 && aa == 0 ? 1 : dot / Math.Sqrt(ee * aa);
            _output.WriteLine($"{file}{(calibrated ? " (static)" : "")} output {o} [{e.Length}]: cosine {cosine:F6}, max abs error {maxAbs:G3} = {maxAbs / range:P2} of max |float| {range:G4}");
            Assert.True(cosine > minCosine, $"{file} output {o}: cosine similarity {cosine}");
        }
    }
}
