using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// Quantize="int8" with calibration data (.npy AdditionalFiles): static activation scales from the float graph run at
/// compile time, the output-SQNR gate, and the EAI03xx diagnostics for bad calibration files.
/// </summary>
public class CalibrationTests
{
    private static readonly int[] InputShape = { 2, 3, 9, 9 };
    private const int SampleLength = 2 * 3 * 9 * 9;

    /// <summary>Conv (3x3 pad 1) + Relu, strided Conv, MaxPool, Flatten, Gemm (transB, alpha, beta), MatMul: every quantized kind.</summary>
    internal static byte[] SmallNet()
    {
        var b = new OnnxBuilder(13).Input("x", InputShape);
        b.Initializer("w1", new[] { 8, 3, 3, 3 }, OrtReference.RandomFloats(8 * 27, 21, 0.4f));
        b.Initializer("b1", new[] { 8 }, OrtReference.RandomFloats(8, 22, 0.2f));
        b.Initializer("w2", new[] { 6, 8, 3, 3 }, OrtReference.RandomFloats(6 * 72, 23, 0.2f));
        b.Initializer("g", new[] { 10, 6 * 2 * 2 }, OrtReference.RandomFloats(10 * 24, 24, 0.2f));
        b.Initializer("c", new[] { 10 }, OrtReference.RandomFloats(10, 25, 0.3f));
        b.Initializer("m", new[] { 10, 7 }, OrtReference.RandomFloats(70, 26, 0.5f));
        b.Node("Conv", new[] { "x", "w1", "b1" }, new[] { "c1" }, A.Ints("pads", 1, 1, 1, 1));
        b.Node("Relu", "c1", "r1");
        b.Node("Conv", new[] { "r1", "w2" }, new[] { "c2" }, A.Ints("strides", 2, 2));
        b.Node("MaxPool", new[] { "c2" }, new[] { "p" }, A.Ints("kernel_shape", 2, 2), A.Ints("strides", 2, 2));
        b.Node("Flatten", "p", "f");
        b.Node("Gemm", new[] { "f", "g", "c" }, new[] { "y" }, A.Int("transB", 1), A.Float("alpha", 0.5f), A.Float("beta", 2f));
        b.Node("MatMul", new[] { "y", "m" }, new[] { "z" });
        return b.Output("z").Build();
    }

    /// <summary>count samples of x, values in [-1, 1) (RandomFloats), one seed per sample.</summary>
    private static float[] Samples(int count, int seed) =>
        Enumerable.Range(0, count).SelectMany(i => OrtReference.RandomFloats(SampleLength, seed + i, 1f)).ToArray();

    private static string CalibrationFile(string name = "calib.npy", int count = 24) =>
        GeneratorHarness.WriteNpy(name, new[] { count }.Concat(InputShape).ToArray(), Samples(count, 1000));

    private static Dictionary<string, string> Static(string method = "", string minSqnrDb = "", string file = "calib.npy") => new()
    {
        ["Quantize"] = "int8", ["Calibration"] = file, ["CalibrationMethod"] = method, ["MinSqnrDb"] = minSqnrDb,
    };

    private static ModelCompiler.Result CompileDetailed(byte[] model, ModelOptions options, params string[] calibrationFiles) =>
        ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", model.ToEquatableArray(), null), options,
            calibrationFiles.Select(f => new ModelFile(f, File.ReadAllBytes(f).ToEquatableArray(), null)).ToEquatableArray()), default);

    private static ModelOptions Options(string method = "", string minSqnrDb = "") =>
        ModelOptions.Default("m.onnx") with { Quantize = "int8", Calibration = "calib.npy", CalibrationMethod = method, MinSqnrDb = minSqnrDb };

    [Theory]
    [InlineData("MinMax")]
    [InlineData("Percentile")]
    [InlineData("Percentile=99.9")]
    public void StaticScalesFollowFloatOnnxRuntime(string method)
    {
        var model = SmallNet();
        var x = OrtReference.RandomFloats(SampleLength, 7, 1f);
        var expected = (float[])OrtReference.Run(model, new[] { ("x", (Array)x, InputShape) })[0];
        var runner = GeneratorHarness.Compile(model, Static(method), "static.onnx", CalibrationFile());
        var actual = (float[])runner.Run(x)[0];
        // Four int8 layers with 8-bit activations on a static range that covers this input: a few % of the output's range.
        float range = expected.Max(v => Math.Abs(v));
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst < 0.05 * range, $"max error {worst} against output range {range}");
        Assert.True(worst > 0, "the int8 build gave exactly the float result: it cannot have quantized anything");
        Assert.Equal(0, runner.Allocations(new Array[] { x }, 20));

        var result = CompileDetailed(model, Options(method), CalibrationFile());
        var layers = result.Report!.Quantization;
        Assert.Equal(4, layers.Length);
        Assert.All(layers, q => Assert.True(q.Quantized && q.InputScale > 0 && q.OutputSqnrDb > 20 && q.Reason.Contains("static scale"), q.ToString()));
        // The layers with a bias (the first Conv, the Gemm) add it as int32 to the sums; the others have none.
        Assert.Equal(new[] { true, false, true, false }, layers.Select(q => q.Reason.EndsWith(", int32 bias", StringComparison.Ordinal)).ToArray());
        Assert.Equal(2, result.Graph!.Nodes.Count(n => n.Inputs.Count > 3 && result.Graph.Values[n.Inputs[3]].Type == Ir.DataType.Int32));
        // The first layer sees x in [-1, 1): a scale of about 2/255 and a zero point near 128.
        Assert.InRange(layers[0].InputScale, 1.5f / 255, 2.01f / 255);
        Assert.InRange(layers[0].InputZeroPoint, 100, 155);
        // The static scale is in the code: no per-call range scan (a zero scale means dynamic).
        var source = result.Output.Sources[0].Text;
        Assert.Equal(0, CountOf(source, "FloatConv(x, 0f,"));
        Assert.DoesNotContain(result.Graph!.Nodes, n => n.Domain == Ops.QuantizedMatMulOp.OpDomain && !n.Attributes.ContainsKey("x_scale"));
    }

    private static int CountOf(string text, string what) => (text.Length - text.Replace(what, "").Length) / what.Length;

    [Fact]
    public void StaticQuantizationDiffersFromDynamic()
    {
        var model = SmallNet();
        var staticRunner = GeneratorHarness.Compile(model, Static(), "static_vs_dynamic.onnx", CalibrationFile());
        var dynamicRunner = GeneratorHarness.Compile(model, new() { ["Quantize"] = "int8" }, "dynamic.onnx");
        var x = OrtReference.RandomFloats(SampleLength, 8, 1f);
        var s = (float[])staticRunner.Run(x)[0];
        var d = (float[])dynamicRunner.Run(x)[0];
        Assert.NotEqual(s, d);
        // An input 4x outside the calibrated range saturates at the static scale; dynamic quantization rescales to it.
        var big = x.Select(v => 4 * v).ToArray();
        var expected = (float[])OrtReference.Run(model, new[] { ("x", (Array)big, InputShape) })[0];
        double Error(float[] a) => expected.Zip(a, (e, v) => Math.Abs(e - v)).Max();
        double staticError = Error((float[])staticRunner.Run(big)[0]), dynamicError = Error((float[])dynamicRunner.Run(big)[0]);
        Assert.True(staticError > 3 * dynamicError, $"static {staticError}, dynamic {dynamicError}: the static build does not clip at its calibrated range");
    }

    [Fact]
    public void PercentileClipsTheTailsMinMaxKeeps()
    {
        var model = SmallNet();
        var file = CalibrationFile();
        var minMax = CompileDetailed(model, Options("MinMax"), file).Report!.Quantization;
        var percentile = CompileDetailed(model, Options("Percentile=99"), file).Report!.Quantization;
        for (int i = 0; i < minMax.Length; i++)
            Assert.True(percentile[i].InputScale < minMax[i].InputScale, $"layer {i}: percentile {percentile[i].InputScale}, MinMax {minMax[i].InputScale}");
    }

    [Fact]
    public void LayersWhoseInt8OutputFailsMinSqnrDbStayFloat()
    {
        var model = SmallNet();
        var file = CalibrationFile();
        var first = CompileDetailed(model, Options(), file).Report!.Quantization[0];
        // The output carries both the weight and the activation error: below the weight SQNR.
        Assert.True(first.OutputSqnrDb < first.WeightSqnrDb, first.ToString());
        var threshold = ((first.OutputSqnrDb + first.WeightSqnrDb) / 2).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        var result = CompileDetailed(model, Options(minSqnrDb: threshold), file);
        var gated = result.Report!.Quantization[0];
        Assert.False(gated.Quantized);
        Assert.Contains("int8 output measures", gated.Reason);
        Assert.Contains("below MinSqnrDb", gated.Reason);
        Assert.Equal("Conv", result.Graph!.Nodes[0].OpType);
        var md = result.Report.Write("md");
        Assert.Contains("output SQNR", md);
        Assert.Contains("int8 output measures", md);
    }

    [Fact]
    public void SeveralFilesConcatenateTheirSamples()
    {
        var model = SmallNet();
        var a = GeneratorHarness.WriteNpy("part_a.npy", new[] { 5 }.Concat(InputShape).ToArray(), Samples(5, 2000));
        var b = GeneratorHarness.WriteNpy("part_b.npy", new[] { 7 }.Concat(InputShape).ToArray(), Samples(7, 3000));
        var result = CompileDetailed(model, Options() with { Calibration = "part_a.npy|x=part_b.npy" }, a, b);
        Assert.DoesNotContain(result.Output.Diagnostics, d => d.IsError);
        Assert.Contains("over 12 calibration samples", result.Report!.Quantization[0].Reason);
    }

    [Fact]
    public void ACalibrationEditRecompilesTheModelAndAnUnrelatedNpyEditDoesNot()
    {
        var dir = Directory.CreateTempSubdirectory("eai-calib-incr-").FullName;
        var model = Path.Combine(dir, "net.onnx");
        var calib = Path.Combine(dir, "calib.npy");
        var other = Path.Combine(dir, "other.npy");
        File.WriteAllBytes(model, SmallNet());
        File.Copy(CalibrationFile(count: 4), calib);
        File.Copy(CalibrationFile(count: 5), other);
        var texts = new[] { new FileText(model), new FileText(calib), new FileText(other) };
        var provider = new TestOptionsProvider(new() { [model] = Static() });
        GeneratorDriver driver = GeneratorHarness.Driver(texts, provider, trackSteps: true);
        var compilation = GeneratorHarness.BaseCompilation("class A { }");
        driver = driver.RunGenerators(compilation);
        var before = Sources(driver);
        Assert.DoesNotContain(driver.GetRunResult().Diagnostics, d => d.Severity == DiagnosticSeverity.Error);

        // No model names other.npy: it is never read.
        var steps = driver.GetRunResult().Results[0].TrackedSteps;
        Assert.Equal(1, steps[ModelGenerator.ReadCalibrationStep].SelectMany(s => s.Outputs).Count(o => o.Value is ModelFile));

        // Another .npy changes: nothing recompiles.
        File.Copy(CalibrationFile(count: 6), other, overwrite: true);
        driver = driver.ReplaceAdditionalText(texts[2], new FileText(other)).RunGenerators(compilation);
        steps = driver.GetRunResult().Results[0].TrackedSteps;
        Assert.All(steps[ModelGenerator.CompileModelStep].SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));

        // The model's own calibration file changes: recompiled with the new samples.
        File.Copy(CalibrationFile(count: 7), calib, overwrite: true);
        driver = driver.ReplaceAdditionalText(texts[1], new FileText(calib)).RunGenerators(compilation);
        steps = driver.GetRunResult().Results[0].TrackedSteps;
        Assert.Contains(steps[ModelGenerator.CompileModelStep].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.NotEqual(before, Sources(driver)); // other static scales
    }

    private static string Sources(GeneratorDriver driver) => string.Join("\n", driver.GetRunResult().GeneratedTrees.Select(t => t.ToString()));

    [Fact]
    public void ALayerBehindAnOpWithoutCompileTimeEvaluationKeepsDynamicActivations()
    {
        // Softmax has no compile-time evaluation: the MatMul after it cannot be calibrated and quantizes per call; the
        // report names that Softmax, not the LogSoftmax on another branch that also stops the run.
        var b = new OnnxBuilder(13).Input("x", 2, 12);
        b.Initializer("w", new[] { 12, 5 }, OrtReference.RandomFloats(60, 31, 0.5f));
        b.Node("LogSoftmax", new[] { "x" }, new[] { "other" });
        b.Node("Softmax", new[] { "x" }, new[] { "s" }, A.Int("axis", 1));
        b.Node("MatMul", new[] { "s", "w" }, new[] { "y" });
        var model = b.Output("y").Output("other").Build();
        var file = GeneratorHarness.WriteNpy("softmax_calib.npy", new[] { 3, 2, 12 }, OrtReference.RandomFloats(72, 32));
        var result = CompileDetailed(model, Options() with { Calibration = "softmax_calib.npy" }, file);
        Assert.DoesNotContain(result.Output.Diagnostics, d => d.IsError);
        var layer = Assert.Single(result.Report!.Quantization);
        Assert.True(layer.Quantized);
        Assert.Equal(0f, layer.InputScale);
        Assert.Contains("calibration could not evaluate", layer.Reason);
        Assert.Contains("(Softmax", layer.Reason);
        Assert.DoesNotContain("LogSoftmax", layer.Reason);
    }

    [Fact]
    public void TheNpyReaderRefusesMutatedFilesWithAReasonAndNeverThrowsAnythingElse()
    {
        var valid = File.ReadAllBytes(CalibrationFile(count: 2));
        var rng = new Random(5);
        int refused = 0;
        for (int i = 0; i < 3000; i++)
        {
            var bytes = (byte[])valid.Clone();
            int header = Math.Min(bytes.Length, 10 + bytes[8] + 1);
            for (int k = rng.Next(1, 4); k > 0; k--) bytes[rng.Next(header)] = (byte)rng.Next(256);
            if (rng.Next(4) == 0) Array.Resize(ref bytes, rng.Next(bytes.Length));
            try
            {
                Onnx.NpyReader.Read(bytes);
            }
            catch (Onnx.NpyReader.NpyException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                refused++;
            }
        }
        Assert.True(refused > 1000, $"only {refused} of 3000 mutated files were refused");
    }

    // Bad calibration input: one EAI03xx naming the file and the expected shape, never a crash.

    public static TheoryData<string, string, string> BadFiles() => new()
    {
        { "shape", "EAI0301", "holds an array of shape [4,3,9,9]" },
        { "dtype", "EAI0301", "dtype '<f8'" },
        { "int", "EAI0301", "dtype '<i4'" },
        { "empty", "EAI0301", "the file is empty" },
        { "nosamples", "EAI0301", "holds no samples" },
        { "nan", "EAI0301", "sample 1 holds NaN at element 5" },
        { "inf", "EAI0301", "holds an infinity" },
        { "header", "EAI0301", "not a Python dict literal" },
        { "notnpy", "EAI0301", "not a .npy file" },
        { "short", "EAI0301", "bytes of data" },
        { "fortran", "EAI0301", "Fortran order" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void ABadCalibrationFileIsAnEai03xxNamingTheFileAndTheExpectedShape(string kind, string id, string detail)
    {
        var good = Samples(3, 4000);
        var shape = new[] { 3 }.Concat(InputShape).ToArray();
        string name = "bad_" + kind + ".npy";
        string path = kind switch
        {
            "shape" => GeneratorHarness.WriteNpy(name, new[] { 4, 3, 9, 9 }, Samples(2, 4000).Take(4 * 243).ToArray()),
            "dtype" => Raw(NpyHeader("<f8", shape).Concat(new byte[8 * good.Length]).ToArray()),
            "int" => Raw(NpyHeader("<i4", shape).Concat(new byte[4 * good.Length]).ToArray()),
            "empty" => Raw(Array.Empty<byte>()),
            "nosamples" => GeneratorHarness.WriteNpy(name, new[] { 0 }.Concat(InputShape).ToArray(), Array.Empty<float>()),
            "nan" => GeneratorHarness.WriteNpy(name, shape, good.Select((v, i) => i == SampleLength + 5 ? float.NaN : v).ToArray()),
            "inf" => GeneratorHarness.WriteNpy(name, shape, good.Select((v, i) => i == 17 ? float.NegativeInfinity : v).ToArray()),
            "header" => Raw(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 6, 0 }.Concat(System.Text.Encoding.ASCII.GetBytes("garbag")).ToArray()),
            "notnpy" => Raw(System.Text.Encoding.ASCII.GetBytes("label,p0,p1\n1,2,3\n")),
            "short" => Raw(NpyHeader("<f4", shape).Concat(new byte[4 * good.Length - 4]).ToArray()),
            "fortran" => Raw(NpyHeader("<f4", shape, fortran: true).Concat(new byte[4 * good.Length]).ToArray()),
            _ => throw new ArgumentException(kind),
        };
        string Raw(byte[] bytes) => GeneratorHarness.WriteFile(name, bytes);
        var modelPath = GeneratorHarness.WriteModel(SmallNet(), "bad_calibration.onnx");
        var (_, diagnostics, _) = GeneratorHarness.Generate(modelPath, Static(file: name), path);
        var d = Assert.Single(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(id, d.Id);
        var message = d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(detail, message);
        Assert.Contains("'" + name + "'", message);
        Assert.Contains("[samples,2,3,9,9]", message);
    }

    private static byte[] NpyHeader(string descr, int[] shape, bool fortran = false)
    {
        var header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': (" + string.Join(", ", shape) + "), }\n";
        return new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 }.Concat(System.Text.Encoding.ASCII.GetBytes(header)).ToArray();
    }

    [Fact]
    public void ACalibrationNameThatMatchesNoAdditionalFileIsEai0302()
    {
        var modelPath = GeneratorHarness.WriteModel(SmallNet(), "missing_calibration.onnx");
        var (_, diagnostics, _) = GeneratorHarness.Generate(modelPath, Static(file: "nowhere.npy"), CalibrationFile());
        var d = Assert.Single(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0302", d.Id);
        Assert.Contains("'nowhere.npy'", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("matches no AdditionalFiles item", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("y=calib.npy", "EAI0303", "names no input of the model")]
    [InlineData("=calib.npy", "EAI0003", "is not a file name")]
    public void ACalibrationEntryForNoInputIsAnError(string calibration, string id, string detail)
    {
        var modelPath = GeneratorHarness.WriteModel(SmallNet(), "entry_calibration.onnx");
        var (_, diagnostics, _) = GeneratorHarness.Generate(modelPath, Static(file: calibration), CalibrationFile());
        var d = Assert.Single(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(id, d.Id);
        Assert.Contains(detail, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CalibrationWithoutQuantizeIsAnInfoAndReadsNothing()
    {
        var modelPath = GeneratorHarness.WriteModel(SmallNet(), "float_with_calibration.onnx");
        var (_, diagnostics, _) = GeneratorHarness.Generate(modelPath, new() { ["Calibration"] = "nowhere.npy" });
        Assert.DoesNotContain(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        var info = Assert.Single(diagnostics, d => d.Id == "EAI0304");
        Assert.Equal(DiagnosticSeverity.Info, info.Severity);
    }

    [Theory]
    [InlineData("Histogram")]
    [InlineData("Entropy=2048")]
    [InlineData("Percentile=40")]
    [InlineData("Percentile=abc")]
    public void AnUnknownCalibrationMethodIsAnOptionError(string method)
    {
        var modelPath = GeneratorHarness.WriteModel(SmallNet(), "method_calibration.onnx");
        var (_, diagnostics, _) = GeneratorHarness.Generate(modelPath, Static(method), CalibrationFile());
        var d = Assert.Single(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0003", d.Id);
        Assert.Contains("CalibrationMethod", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("MinMax")]
    [InlineData("Percentile")]
    [InlineData("Entropy")]
    public void DigitsCnnKeepsItsAccuracyWithStaticCalibration(string method)
    {
        var root = Snapshot.RepoRoot();
        var model = File.ReadAllBytes(Path.Combine(root, "models", "digits_cnn.onnx"));
        var samples = File.ReadLines(Path.Combine(root, "models", "digits_test.csv")).Skip(1)
            .Select(l => l.Split(',').Select(int.Parse).ToArray())
            .Select(v => (Label: v[0], Image: v.Skip(1).Select(p => p / 16f).ToArray())).ToArray();
        int Correct(CompiledModelRunner r) => samples.Count(s => ArgMax((float[])r.Run(s.Image)[0]) == s.Label);
        int floatCorrect = Correct(GeneratorHarness.Compile(model, null, "digits_float.onnx"));
        var metadata = new Dictionary<string, string> { ["Quantize"] = "int8", ["Calibration"] = "digits_calib.npy", ["CalibrationMethod"] = method };
        var runner = GeneratorHarness.Compile(model, metadata, "digits_static_" + method + ".onnx", Path.Combine(root, "models", "digits_calib.npy"));
        int staticCorrect = Correct(runner);
        // The target: int8 within 0.5 point of float on the held-out split (calibrated on the training split).
        Assert.True(staticCorrect * 1000 >= floatCorrect * 1000 - 5 * samples.Length,
            $"int8 static ({method}) {staticCorrect}/{samples.Length}, float {floatCorrect}/{samples.Length}");
    }

    private static int ArgMax(float[] v) => Array.IndexOf(v, v.Max());
}
