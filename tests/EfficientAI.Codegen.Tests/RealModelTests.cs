using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// Development models (see DevModels) compiled with the generator and run against ONNX Runtime on the
/// same seeded random inputs at realistic scales, two seeds each. Every output must satisfy
/// |actual - expected| &lt;= atol + rtol * |expected| with the baseline rtol 1e-4 / atol 1e-4, tightened
/// per model where the measured error allows (stated at each test); the measured max abs/rel errors
/// are written to the test output.
/// </summary>
public class RealModelTests
{
    private readonly ITestOutputHelper _output;
    public RealModelTests(ITestOutputHelper output) => _output = output;

    // One compilation per model for both seeds.
    private static readonly ConcurrentDictionary<string, Lazy<CompiledModelRunner>> s_compiled = new();

    /// <summary>Uniform floats in [lo, hi), seeded.</summary>
    private static float[] Uniform(int n, int seed, float lo, float hi)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (float)rng.NextDouble() * (hi - lo);
        return a;
    }

    /// <summary>Openwakeword head over 25x96 speech embeddings; features in [-1, 1).
    /// Tolerance rtol 1e-5 / atol 1e-5 (measured max abs error ~2e-7 on a sigmoid output).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1, true)]
    public void HelloDeepa(int seed, bool passesOff = false) =>
        Check("hello_deepa.onnx", "onnx::Flatten_0", new[] { 1, 25, 96 }, Uniform(25 * 96, seed, -1f, 1f), rtol: 1e-5, atol: 1e-5, metadata: PassesOff(passesOff));

    /// <summary>ML.NET per-channel mean subtraction; whole pixel values 0..255.
    /// Tolerance rtol 1e-6 / atol 1e-6 (one float subtraction per element: measured bit-exact).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1, true)]
    public void ResNetPreprocess(int seed, bool passesOff = false) =>
        Check("ResNetPreprocess.onnx", "OriginalInput", new[] { 1, 3, 224, 224 },
            Uniform(3 * 224 * 224, seed, 0f, 256f).Select(MathF.Floor).ToArray(), rtol: 1e-6, atol: 1e-6, metadata: PassesOff(passesOff));

    /// <summary>BlazeFace (tf2onnx, NHWC), four outputs; image in [0, 1).
    /// Tolerance rtol 1e-4 / atol 1e-4 (37 Convs deep, outputs up to ~150: measured max abs error ~8e-5,
    /// so the baseline is kept; accumulation order in the Conv kernels may legitimately differ from ORT's).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1, true)]
    public void BlazeFace(int seed, bool passesOff = false) =>
        Check("face_detection_front_128x128_barracuda.onnx", "input:0", new[] { 1, 128, 128, 3 }, Uniform(128 * 128 * 3, seed, 0f, 1f), rtol: 1e-4, atol: 1e-4, expectedOutputs: 4,
            metadata: PassesOff(passesOff));

    /// <summary>PaddleOCR text-direction classifier (paddle2onnx opset 9, weights in Constant nodes), symbolic
    /// dims bound with Shapes to [1,3,48,192]; a normalised image in [-1, 1). Two softmax probabilities.
    /// Tolerance rtol 1e-5 / atol 1e-6 (measured max abs error ~2e-7).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1, true)]
    public void PpOcrClassifier(int seed, bool passesOff = false) =>
        Check("ch_ppocr_mobile_v2.0_cls_infer.onnx", "x", new[] { 1, 3, 48, 192 }, Uniform(3 * 48 * 192, seed, -1f, 1f), rtol: 1e-5, atol: 1e-6,
            metadata: PassesOff(passesOff, keepFolding: true, new() { ["Shapes"] = "x=1x3x48x192" }));

    /// <summary>
    /// Silero VAD v5 (PyTorch 2.9 dynamo export, opset 18): STFT as a strided Conv, LSTM cell unrolled into
    /// Gemm/Sigmoid/Tanh, one If on sr == 16000 whose branches read outer values. Audio [1,512] in [-0.5, 0.5),
    /// state zero (seed 1, the first chunk of a stream) or random in [-1, 1) (seed 2, a later chunk). sr either a
    /// run-time input (both branches compiled, selected at run time; 8000 runs the 8 kHz branch) or bound with
    /// ConstantInputs (the 16 kHz branch inlined). Tolerance rtol 1e-4 / atol 3e-6: noise gives speech probabilities
    /// near 1e-3, so atol stays well below them (measured max rel error 1.3e-5 on the probability, max abs error
    /// 9e-6 on state elements near 1, 2e-6 on the 8 kHz state).
    /// </summary>
    [Theory]
    [InlineData(1, 16000L, false)]
    [InlineData(2, 16000L, false)]
    [InlineData(2, 8000L, false)]
    [InlineData(1, 16000L, true)]
    [InlineData(2, 16000L, true)]
    [InlineData(2, 8000L, false, true)]
    [InlineData(2, 16000L, true, true)]
    public void SileroVadOp18(int seed, long sr, bool bindSampleRate, bool passesOff = false) =>
        Check("silero_vad_op18_ifless.onnx", SileroInputs(seed, sr, ("state", new[] { 2, 1, 128 })), rtol: 1e-4, atol: 3e-6, expectedOutputs: 2,
            metadata: PassesOff(passesOff, keepFolding: false, SileroMetadata(bindSampleRate)));

    /// <summary>
    /// Silero VAD v4 ("legacy", PyTorch 1.12 export, opset 16): four stacked LSTM nodes (7 inputs, forward, layout 0)
    /// inside If branches on sr, STFT as Conv, many old-style shape chains. Audio [1,512] in [-0.5, 0.5), h and c
    /// [2,1,64] zero (seed 1) or random in [-1, 1) (seed 2); sr 16000 and 8000 at run time, or 16000 bound with
    /// ConstantInputs. Tolerance rtol 1e-4 with atol 1e-7 on the
    /// speech probability (values 3e-3..0.2: measured max abs error 1.5e-8) and atol 1e-5 on hn/cn (values up to ~3: measured
    /// max abs error 4.5e-6, on 8 kHz with random states; elements near zero make the relative error meaningless there).
    /// </summary>
    [Theory]
    [InlineData(1, 16000L, false)]
    [InlineData(2, 16000L, false)]
    [InlineData(1, 8000L, false)]
    [InlineData(2, 8000L, false)]
    [InlineData(2, 16000L, true)]
    public void SileroVadLegacy(int seed, long sr, bool bindSampleRate) =>
        Check("silero_vad_legacy.onnx", SileroInputs(seed, sr, ("h", new[] { 2, 1, 64 }), ("c", new[] { 2, 1, 64 })), rtol: 1e-4, atol: 1e-5, expectedOutputs: 3,
            metadata: SileroMetadata(bindSampleRate), outputAtol: new[] { 1e-7, 1e-5, 1e-5 });

    private static (string, Array, int[])[] SileroInputs(int seed, long sr, params (string Name, int[] Shape)[] states)
    {
        var inputs = new List<(string, Array, int[])> { ("input", Uniform(512, seed, -0.5f, 0.5f), new[] { 1, 512 }), ("sr", new[] { sr }, Array.Empty<int>()) };
        foreach (var (name, shape) in states)
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            inputs.Add((name, seed == 1 ? new float[n] : Uniform(n, seed * 31 + name.Length, -1f, 1f), shape));
        }
        return inputs.ToArray();
    }

    private static Dictionary<string, string> SileroMetadata(bool bindSampleRate)
    {
        var metadata = new Dictionary<string, string> { ["Dims"] = "batch=1;sequence=512" };
        if (bindSampleRate) metadata["ConstantInputs"] = "sr=16000";
        return metadata;
    }

    /// <summary>M-LSD tiny (tf2onnx, NHWC RGBA input 320x320): three bilinear Resizes (half_pixel, sizes from a
    /// folded Shape/Slice/Concat chain), Equal/Cast of a max-pooled score map; a synthetic picture of lines.
    /// Tolerance rtol 1e-4 with atol 2e-2 on the offsets (values up to ~90: measured max abs error 3.7e-3 with the fourth channel of ones, 1.3e-2 when it was 255, i.e. up to
    /// 1.5e-4 of the largest value; the error grows in the decoder Convs before the last Resize, from ~3e-6 to
    /// ~4e-5 of the range, not in Resize) and atol 1e-4 on the scores (measured 2e-5; Equal against the max-pooled
    /// map turns near-ties into 0-or-score flips, which happen only at scores ~1e-5 on this picture).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1, true)]
    public void Mlsd(int seed, bool passesOff = false) =>
        Check("mlsd_320x320_tiny.onnx", "input_image_with_alpha:0", new[] { 1, 320, 320, 4 }, LineImage(seed), rtol: 1e-4, atol: 1e-4, expectedOutputs: 2,
            metadata: PassesOff(passesOff, keepFolding: true), outputAtol: new[] { 2e-2, 1e-4 });

    /// <summary>A 320x320 RGBA picture (RGB 0..255 and a fourth channel of ones, as M-LSD's authors feed it) of what M-LSD is for: a smooth background gradient crossed
    /// by a few straight bright and dark bars at seeded positions and angles, with mild noise.</summary>
    internal static float[] LineImage(int seed)
    {
        const int size = 320;
        var rng = new Random(seed);
        var lines = Enumerable.Range(0, 6).Select(_ => (Angle: rng.NextDouble() * Math.PI, Offset: (rng.NextDouble() - 0.5) * size * 0.8,
            Width: 2 + rng.NextDouble() * 4, Level: rng.Next(2) == 0 ? 40.0 : 230.0)).ToArray();
        var noise = Uniform(size * size, seed + 100, -6f, 6f);
        var image = new float[size * size * 4];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double v = 90 + 80.0 * x / size + 40.0 * y / size;
                foreach (var l in lines)
                {
                    double d = Math.Abs((x - size / 2) * Math.Cos(l.Angle) + (y - size / 2) * Math.Sin(l.Angle) - l.Offset);
                    if (d < l.Width) v = l.Level;
                }
                int p = (y * size + x) * 4;
                float g = (float)Math.Clamp(v + noise[y * size + x], 0, 255);
                image[p] = g;
                image[p + 1] = Math.Clamp(g * 0.9f + 10, 0, 255);
                image[p + 2] = Math.Clamp(g * 1.1f - 10, 0, 255);
                image[p + 3] = 1; // the alpha channel as M-LSD's authors feed it: ones
            }
        return image;
    }

    private void Check(string file, string inputName, int[] shape, float[] input, double rtol, double atol, int expectedOutputs = 1, Dictionary<string, string>? metadata = null, double[]? outputAtol = null) =>
        Check(file, new[] { (inputName, (Array)input, shape) }, rtol, atol, expectedOutputs, metadata, outputAtol);

    /// <summary>Runs the model on these inputs in both; compares every output. One compilation per (file, metadata).</summary>
    private void Check(string file, (string Name, Array Data, int[] Shape)[] inputs, double rtol, double atol, int expectedOutputs = 1, Dictionary<string, string>? metadata = null, double[]? outputAtol = null)
    {
        var model = DevModels.Load(file, _output);
        if (model is null) return;
        Assert.Contains((float[])inputs[0].Data, v => v != 0); // the signal; recurrent state may start at zero

        var key = file + "|" + string.Join(";", (metadata ?? new()).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));
        var runner = s_compiled.GetOrAdd(key, _ => new Lazy<CompiledModelRunner>(() => GeneratorHarness.Compile(model, metadata, fileName: file))).Value;
        var expected = OrtReference.Run(model, inputs);
        var runtimeInputs = inputs.Where((_, i) => runner.InputTypes.Length == inputs.Length || !IsBoundConstant(inputs[i].Name, metadata)).Select(i => i.Data).ToArray();
        var actual = runner.Run(runtimeInputs);

        Assert.Equal(expectedOutputs, expected.Length);
        Assert.Equal(expected.Length, actual.Length);
        for (int o = 0; o < expected.Length; o++)
        {
            var e = (float[])expected[o];
            var a = (float[])actual[o];
            Assert.Equal(e.Length, a.Length);
            double maxAbs = 0, maxRel = 0;
            for (int i = 0; i < e.Length; i++)
            {
                double d = Math.Abs((double)a[i] - e[i]);
                maxAbs = Math.Max(maxAbs, d);
                if (e[i] != 0) maxRel = Math.Max(maxRel, d / Math.Abs(e[i]));
            }
            _output.WriteLine($"{file} output {o} [{e.Length}]: max abs error {maxAbs:E2}, max rel error {maxRel:E2} (max |expected| {e.Max(Math.Abs):G4}; rtol {rtol:G2}, atol {outputAtol?[o] ?? atol:G2})");
        }
        for (int o = 0; o < expected.Length; o++) OrtReference.AssertClose(expected[o], actual[o], rtol, outputAtol?[o] ?? atol, $"{file} output {o}");
    }

    /// <summary>
    /// The metadata with every optional pass switched off (passesOff), so each model is also checked unoptimised
    /// against ONNX Runtime: DisabledPasses=all, or all but ConstantFolding for models whose shapes are computed by
    /// subgraphs that only folding makes static (PP-OCR's Reshape targets, M-LSD's Pad amounts: EAI0204 without it).
    /// </summary>
    private static Dictionary<string, string>? PassesOff(bool passesOff, bool keepFolding = false, Dictionary<string, string>? metadata = null)
    {
        if (!passesOff) return metadata;
        var result = new Dictionary<string, string>(metadata ?? new());
        result["DisabledPasses"] = keepFolding ? string.Join(";", Passes.PassPipeline.OptionalPasses.Where(p => p != "ConstantFolding")) : "all";
        return result;
    }

    /// <summary>Inputs bound with ConstantInputs are no longer parameters of Infer.</summary>
    private static bool IsBoundConstant(string input, Dictionary<string, string>? metadata) =>
        metadata is not null && metadata.TryGetValue("ConstantInputs", out var bound) &&
        bound.Split(';', ',').Any(b => b.Split('=')[0].Trim() == input);
}
