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

    /// <summary>
    /// Speech-like audio at 16 kHz: syllables (about 4 per second, 180 ms voiced, gaps of low noise) of a glottal pulse
    /// train (f0 110-190 Hz gliding) through two formant resonators (500-700 Hz and 1,200-1,800 Hz), plus -40 dB noise.
    /// </summary>
    internal static float[] SpeechLike(int samples, int seed)
    {
        var rng = new Random(seed);
        var y = new float[samples];
        double phase = 0;
        double[] s1 = new double[2], s2 = new double[2];
        for (int i = 0; i < samples; i++)
        {
            double t = i / 16000.0;
            double inSyllable = (t * 4.2) % 1.0;
            bool voiced = inSyllable < 0.75 * 0.18 * 4.2 / 0.75; // 180 ms of each 238 ms
            double f0 = 110 + 80 * (0.5 + 0.5 * Math.Sin(2 * Math.PI * 0.7 * t));
            phase += f0 / 16000.0;
            double pulse = 0;
            if (phase >= 1) { phase -= 1; pulse = 1; }
            double envelope = voiced ? Math.Sin(Math.PI * inSyllable / (0.18 * 4.2)) : 0;
            double excitation = envelope * pulse;
            double F1 = 500 + 200 * Math.Sin(2 * Math.PI * 3.1 * t), F2 = 1200 + 600 * (0.5 + 0.5 * Math.Sin(2 * Math.PI * 2.3 * t));
            double Resonate(double x, double f, double[] state)
            {
                double r = 0.97, c = 2 * r * Math.Cos(2 * Math.PI * f / 16000.0);
                double v = x + c * state[0] - r * r * state[1];
                state[1] = state[0];
                state[0] = v;
                return v;
            }
            double v1 = Resonate(excitation, F1, s1), v2 = Resonate(excitation, F2, s2);
            y[i] = (float)(0.02 * v1 + 0.012 * v2 + 0.003 * (rng.NextDouble() * 2 - 1));
        }
        float peak = y.Max(v => Math.Abs(v));
        for (int i = 0; i < samples; i++) y[i] *= 0.5f / peak;
        return y;
    }

    /// <summary>
    /// Silero VAD (v5, opset 18, sr bound to 16 kHz) with Quantize="int8" (dynamic activations) on one second of
    /// speech-like audio streamed in 31 chunks of 512 samples (each after the previous chunk's last 64, as Silero's wrapper feeds v5), the state carried from chunk to chunk in each build: the
    /// speech probability per chunk of the int8 build against float ONNX Runtime. Only with EAI_QUANT_DEV=1.
    /// </summary>
    [Fact]
    public void SileroVadInt8FollowsFloatOnSpeechLikeAudio()
    {
        if (Environment.GetEnvironmentVariable("EAI_QUANT_DEV") != "1")
        {
            _output.WriteLine("SKIPPED: set EAI_QUANT_DEV=1 for the large models");
            return;
        }
        var model = DevModels.Load("silero_vad_op18_ifless.onnx", _output);
        if (model is null) return;
        var metadata = new Dictionary<string, string> { ["Quantize"] = "int8", ["Dims"] = "batch=1;sequence=576", ["ConstantInputs"] = "sr=16000" };
        var runner = GeneratorHarness.Compile(model, metadata, "int8_silero_vad_op18.onnx");
        var audio = SpeechLike(16000, 3);
        var stateOurs = new float[2 * 128];
        var stateOrt = new float[2 * 128];
        var ours = new List<float>();
        var ort = new List<float>();
        for (int c = 0; c + 512 <= audio.Length; c += 512)
        {
            // As Silero's own wrapper feeds v5: each 512-sample chunk after the previous chunk's last 64 samples.
            var chunk = (c == 0 ? new float[64] : audio.Skip(c - 64).Take(64).ToArray()).Concat(audio.Skip(c).Take(512)).ToArray();
            var e = OrtReference.Run(model, new (string, Array, int[])[] { ("input", chunk, new[] { 1, 576 }), ("state", stateOrt, new[] { 2, 1, 128 }), ("sr", new[] { 16000L }, Array.Empty<int>()) });
            var a = runner.Run(chunk, stateOurs);
            ort.Add(((float[])e[0])[0]);
            ours.Add(((float[])a[0])[0]);
            stateOrt = (float[])e[1];
            stateOurs = (float[])a[1];
        }
        double maxDiff = ours.Zip(ort, (x, y) => Math.Abs(x - y)).Max();
        int flips = ours.Zip(ort, (x, y) => (x >= 0.5) != (y >= 0.5) ? 1 : 0).Sum();
        double dot = ours.Zip(ort, (x, y) => (double)x * y).Sum(), n1 = Math.Sqrt(ours.Sum(x => (double)x * x)), n2 = Math.Sqrt(ort.Sum(x => (double)x * x));
        _output.WriteLine($"silero_vad_op18 int8 on speech-like audio, {ours.Count} chunks: float probabilities {ort.Min():F3}..{ort.Max():F3}, " +
            $"max |int8 - float| {maxDiff:F4}, cosine {dot / (n1 * n2):F6}, decisions at 0.5 that differ {flips}/{ours.Count}");
        _output.WriteLine("float: " + string.Join(" ", ort.Select(v => v.ToString("F2", System.Globalization.CultureInfo.InvariantCulture))));
        _output.WriteLine("int8:  " + string.Join(" ", ours.Select(v => v.ToString("F2", System.Globalization.CultureInfo.InvariantCulture))));
        Assert.True(ort.Max() > 0.5, "the audio never reads as speech to the float model: it is not speech-like enough to test anything");
        Assert.True(maxDiff < 0.1, $"max probability difference {maxDiff}");
    }
}
