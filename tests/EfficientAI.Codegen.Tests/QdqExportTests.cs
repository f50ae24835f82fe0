using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// The QDQ export (ModelCompiler.ExportQdq, eai compile --qdq-out): the quantized graph written as an ONNX model, run by
/// ONNX Runtime, against the generated int8 code on the same inputs.
/// </summary>
public class QdqExportTests
{
    private readonly ITestOutputHelper _out;

    public QdqExportTests(ITestOutputHelper output) => _out = output;

    /// <summary>What one comparison found: per output the max |ours - ORT| and the one-step tolerance.</summary>
    internal sealed record Agreement(string Output, double MaxError, double Step, double MaxAbs, int Beyond);

    /// <summary>
    /// Compiles <paramref name="model"/> with <paramref name="metadata"/> twice, as generated code and as a QDQ model,
    /// runs both on <paramref name="inputs"/> (ORT: one thread, the given optimization level) and returns the outputs.
    /// </summary>
    internal static (Array[] Ours, Array[] Ort, ModelProto Qdq) RunBoth(byte[] model, Dictionary<string, string> metadata, string fileName, string[] calibrationFiles,
        Array[] inputs, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_DISABLE_ALL)
    {
        var runner = GeneratorHarness.Compile(model, metadata, fileName, calibrationFiles);
        var qdqBytes = Export(model, metadata, fileName, calibrationFiles);
        var qdq = ModelCompiler.Parse(qdqBytes);
        var feeds = qdq.Graph.Input.Select((vi, i) => (vi.Name, inputs[i], vi.Type.TensorType.Shape.Dim.Select(d => (int)d.DimValue).ToArray())).ToList();
        return (runner.Run(inputs), RunOrt(qdqBytes, feeds, level), qdq);
    }

    internal static byte[] Export(byte[] model, Dictionary<string, string> metadata, string fileName, string[] calibrationFiles)
    {
        string Get(string key) => metadata.TryGetValue(key, out var v) ? v : "";
        var options = ModelOptions.Default(fileName) with
        {
            Quantize = Get("Quantize"), Calibration = Get("Calibration"), CalibrationMethod = Get("CalibrationMethod"), MinSqnrDb = Get("MinSqnrDb"),
            DisabledPasses = Get("DisabledPasses"),
        };
        var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile(fileName, model.ToEquatableArray(), null), options,
            calibrationFiles.Select(f => new ModelFile(f, File.ReadAllBytes(f).ToEquatableArray(), null)).ToEquatableArray()), default);
        var (bytes, error) = ModelCompiler.ExportQdq(result, fileName);
        Assert.True(error is null, error?.Format());
        return bytes!;
    }

    internal static Array[] RunOrt(byte[] model, IReadOnlyList<(string Name, Array Data, int[] Shape)> inputs, GraphOptimizationLevel level)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = level };
        using var session = new InferenceSession(model, options);
        var feeds = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>((float[])i.Data, i.Shape))).ToList();
        using var results = session.Run(feeds);
        return results.Select(r => (Array)((DenseTensor<float>)r.Value).Buffer.ToArray()).ToArray();
    }

    /// <summary>
    /// One quantization step at the model's output: the change of output column j when one input element of the last
    /// quantized layer (a Gemm/MatMul writing the graph output) moves by one step of its uint8 quantization,
    /// step_j = x_scale * max_p |w_q[p, j]| * w_scale[j]. x_scale is the static scale, or (dynamic) the scale
    /// DynamicQuantizeLinear computed on this call, read from ORT as an extra output of the QDQ model.
    /// </summary>
    internal static double[] OutputSteps(ModelProto qdq, Array[] inputs)
    {
        var graph = qdq.Graph;
        var init = graph.Initializer.ToDictionary(t => t.Name);
        var last = graph.Node.Last(n => n.OpType is "MatMul" or "MatMulInteger" or "Gemm");
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        // The weights: MatMulInteger reads them directly; MatMul through their DequantizeLinear.
        var wq = last.OpType == "MatMulInteger" ? init[last.Input[1]] : init[producers[last.Input[1]].Input[0]];
        var (k, n) = ((int)wq.Dims[0], (int)wq.Dims[1]);
        var q = wq.RawData.ToByteArray().Select(b => (sbyte)b).ToArray();
        float[] wScale;
        float xScale;
        if (last.OpType is "MatMul" or "Gemm")
        {
            wScale = Floats(init[producers[last.Input[1]].Input[1]]);
            xScale = Floats(init[producers[last.Input[0]].Input[1]])[0];
        }
        else
        {
            // Dynamic: Mul(w_scale, x_scale) follows; x_scale is the DynamicQuantizeLinear's second output.
            var dql = producers[last.Input[0]];
            var mul = graph.Node.First(m => m.OpType == "Mul" && m.Input.Contains(dql.Output[1]));
            wScale = Floats(init[mul.Input[0]]);
            var probe = qdq.Clone();
            probe.Graph.Output.Add(new ValueInfoProto { Name = dql.Output[1], Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto() } } });
            var feeds = qdq.Graph.Input.Select((vi, i) => (vi.Name, inputs[i], vi.Type.TensorType.Shape.Dim.Select(d => (int)d.DimValue).ToArray())).ToList();
            var outs = RunOrt(Google.Protobuf.MessageExtensions.ToByteArray(probe), feeds, GraphOptimizationLevel.ORT_DISABLE_ALL);
            xScale = ((float[])outs[outs.Length - 1])[0];
        }
        return Enumerable.Range(0, n).Select(j => (double)xScale * Enumerable.Range(0, k).Max(p => Math.Abs((int)q[p * n + j])) * wScale[j]).ToArray();
    }

    private static float[] Floats(TensorProto t)
    {
        var bytes = t.RawData.ToByteArray();
        var f = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, f, 0, bytes.Length);
        return f;
    }

    /// <summary>Asserts every output element within one output step (<see cref="OutputSteps"/>) of ORT; returns the worst error in steps.</summary>
    internal static double AssertWithinOneStep(float[] ours, float[] ort, double[] steps, string what)
    {
        int n = steps.Length;
        double worst = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            double e = Math.Abs(ours[i] - ort[i]) / steps[i % n];
            worst = Math.Max(worst, e);
            Assert.True(e <= 1, $"{what}: output {i}: ours {ours[i]}, ORT {ort[i]}: {e:F2} steps (step {steps[i % n]:G4})");
        }
        return worst;
    }

    // ---- small models ----

    private static byte[] ConvModel(bool bias, int group = 1)
    {
        var b = new OnnxBuilder(13).Input("x", 1, 4, 9, 9);
        b.Initializer("w", new[] { 6, 4 / group, 3, 3 }, OrtReference.RandomFloats(6 * 4 / group * 9, 31, 0.5f));
        if (bias) b.Initializer("b", new[] { 6 }, OrtReference.RandomFloats(6, 32, 0.3f));
        b.Node("Conv", bias ? new[] { "x", "w", "b" } : new[] { "x", "w" }, new[] { "y" }, A.Ints("pads", 1, 1, 1, 1), A.Ints("strides", 2, 1), A.Int("group", group));
        return b.Output("y").Build();
    }

    private static byte[] GemmModel()
    {
        var b = new OnnxBuilder(13).Input("x", 3, 20);
        b.Initializer("w", new[] { 12, 20 }, OrtReference.RandomFloats(240, 41, 0.5f));
        b.Initializer("c", new[] { 12 }, OrtReference.RandomFloats(12, 42, 0.3f));
        b.Node("Gemm", new[] { "x", "w", "c" }, new[] { "g" }, A.Int("transB", 1), A.Float("alpha", 0.75f), A.Float("beta", 1.5f));
        b.Node("Relu", "g", "y");
        return b.Output("y").Build();
    }

    private static byte[] MatMulModel()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 5, 16);
        b.Initializer("w", new[] { 16, 9 }, OrtReference.RandomFloats(144, 51, 0.5f));
        b.Node("MatMul", new[] { "x", "w" }, new[] { "y" });
        return b.Output("y").Build();
    }

    private static string Calibration(string name, int[] inputShape, int samples, int seed)
    {
        int length = inputShape.Aggregate(1, (a, d) => a * d);
        var data = Enumerable.Range(0, samples).SelectMany(i => OrtReference.RandomFloats(length, seed + i, 1f)).ToArray();
        return GeneratorHarness.WriteNpy(name, new[] { samples }.Concat(inputShape).ToArray(), data);
    }

    public static IEnumerable<object[]> SmallCases() => new[]
    {
        new object[] { "conv_bias", false }, new object[] { "conv_bias", true },
        new object[] { "conv_nobias", false }, new object[] { "conv_nobias", true },
        new object[] { "conv_grouped", false }, new object[] { "conv_grouped", true },
        new object[] { "gemm", false }, new object[] { "gemm", true },
        new object[] { "matmul", false }, new object[] { "matmul", true },
    };

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void SmallLayersAgreeWithOnnxRuntime(string kind, bool calibrated)
    {
        var (model, shape) = kind switch
        {
            "conv_bias" => (ConvModel(true), new[] { 1, 4, 9, 9 }),
            "conv_nobias" => (ConvModel(false), new[] { 1, 4, 9, 9 }),
            "conv_grouped" => (ConvModel(true, 2), new[] { 1, 4, 9, 9 }),
            "gemm" => (GemmModel(), new[] { 3, 20 }),
            _ => (MatMulModel(), new[] { 2, 5, 16 }),
        };
        var metadata = new Dictionary<string, string> { ["Quantize"] = "int8" };
        var files = Array.Empty<string>();
        if (calibrated)
        {
            files = new[] { Calibration($"qdq_{kind}.npy", shape, 16, 500) };
            metadata["Calibration"] = $"qdq_{kind}.npy";
        }
        var x = OrtReference.RandomFloats(shape.Aggregate(1, (a, d) => a * d), 77, 1f);
        var (ours, ort, qdq) = RunBoth(model, metadata, $"qdq_{kind}_{calibrated}.onnx", files, new Array[] { x });
        var ops = qdq.Graph.Node.Select(n => n.OpType).ToList();
        Assert.Contains(calibrated ? "QuantizeLinear" : "DynamicQuantizeLinear", ops);
        var o = (float[])ours[0];
        var r = (float[])ort[0];
        double maxAbs = r.Max(v => Math.Abs(v)), maxError = o.Zip(r, (a, e) => Math.Abs(a - e)).Max();
        _out.WriteLine($"{kind} calibrated={calibrated}: max |ours - ORT| {maxError:G4}, max |y| {maxAbs:G4}, ops {string.Join(",", ops)}");
        Assert.True(maxAbs > 0.1, "the output is near zero: the comparison would prove nothing");
        if (!calibrated)
            // Dynamic: DynamicQuantizeLinear gives the kernel's very scale, zero point and uint8 values, MatMulInteger/ConvInteger
            // the same int32 sums, and Cast, Mul(w_scale * x_scale), Add the same float operations in the same order.
            Assert.Equal(r, o);
        else
            // Static: the same uint8 input and int8 weights; ORT sums dequantized floats where the kernel sums integers
            // and scales once, so the two differ by float rounding only.
            Assert.True(maxError <= 1e-5 * maxAbs, $"max error {maxError} against max |y| {maxAbs}");
    }

    /// <summary>Every quantized kind in a chain: the calibration tests' small net.</summary>
    private static byte[] SmallNet() => CalibrationTests.SmallNet();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ChainOfLayersAgreesWithinOneStep(bool calibrated)
    {
        var shape = new[] { 2, 3, 9, 9 };
        var metadata = new Dictionary<string, string> { ["Quantize"] = "int8" };
        var files = Array.Empty<string>();
        if (calibrated)
        {
            files = new[] { Calibration("qdq_chain.npy", shape, 24, 1000) };
            metadata["Calibration"] = "qdq_chain.npy";
        }
        var model = SmallNet();
        var runner = GeneratorHarness.Compile(model, metadata, $"qdq_chain_{calibrated}.onnx", files);
        var qdqBytes = Export(model, metadata, $"qdq_chain_{calibrated}.onnx", files);
        var qdq = ModelCompiler.Parse(qdqBytes);
        Assert.Equal(4, qdq.Graph.Node.Count(n => n.OpType == (calibrated ? "QuantizeLinear" : "DynamicQuantizeLinear")));
        double worst = 0;
        int exact = 0, total = 0;
        for (int seed = 0; seed < 8; seed++)
        {
            var x = OrtReference.RandomFloats(2 * 3 * 9 * 9, 300 + seed, 1f);
            var ours = (float[])runner.Run(x)[0];
            var ort = (float[])RunOrt(qdqBytes, new[] { ("x", (Array)x, shape) }, GraphOptimizationLevel.ORT_DISABLE_ALL)[0];
            worst = Math.Max(worst, AssertWithinOneStep(ours, ort, OutputSteps(qdq, new Array[] { x }), $"seed {seed}"));
            exact += ours.Zip(ort, (a, b) => a == b ? 1 : 0).Sum();
            total += ours.Length;
        }
        _out.WriteLine($"calibrated={calibrated}: worst |ours - ORT| {worst:F4} output steps; {exact}/{total} outputs bit-identical");
    }

    private static (int Label, float[] Image)[] DigitsSamples(int count)
    {
        var root = Snapshot.RepoRoot();
        return File.ReadLines(Path.Combine(root, "models", "digits_test.csv")).Skip(1).Take(count)
            .Select(l => l.Split(',').Select(int.Parse).ToArray())
            .Select(v => (v[0], v.Skip(1).Select(p => p / 16f).ToArray())).ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DigitsCnnAgreesWithinOneStep(bool calibrated)
    {
        var root = Snapshot.RepoRoot();
        var model = File.ReadAllBytes(Path.Combine(root, "models", "digits_cnn.onnx"));
        var metadata = new Dictionary<string, string> { ["Quantize"] = "int8" };
        var files = Array.Empty<string>();
        if (calibrated)
        {
            files = new[] { Path.Combine(root, "models", "digits_calib.npy") };
            metadata["Calibration"] = "digits_calib.npy";
        }
        var runner = GeneratorHarness.Compile(model, metadata, $"qdq_digits_{calibrated}.onnx", files);
        var qdqBytes = Export(model, metadata, $"qdq_digits_{calibrated}.onnx", files);
        var qdq = ModelCompiler.Parse(qdqBytes);
        var input = qdq.Graph.Input[0];
        var shape = input.Type.TensorType.Shape.Dim.Select(d => (int)d.DimValue).ToArray();
        double worst = 0;
        int exact = 0, total = 0, sameClass = 0;
        var samples = DigitsSamples(40);
        foreach (var (_, image) in samples)
        {
            var ours = (float[])runner.Run(image)[0];
            var ort = (float[])RunOrt(qdqBytes, new[] { (input.Name, (Array)image, shape) }, GraphOptimizationLevel.ORT_DISABLE_ALL)[0];
            worst = Math.Max(worst, AssertWithinOneStep(ours, ort, OutputSteps(qdq, new Array[] { image }), "digits"));
            exact += ours.Zip(ort, (a, b) => a == b ? 1 : 0).Sum();
            total += ours.Length;
            sameClass += Array.IndexOf(ours, ours.Max()) == Array.IndexOf(ort, ort.Max()) ? 1 : 0;
        }
        _out.WriteLine($"digits calibrated={calibrated}: worst |ours - ORT| {worst:F4} output steps; {exact}/{total} logits bit-identical; same class {sameClass}/{samples.Length}");
        Assert.Equal(samples.Length, sameClass);
        // ORT with its graph optimizations (its own QDQ and integer fusions) on the same exported model.
        double worstFused = 0;
        foreach (var (_, image) in samples)
        {
            var ours = (float[])runner.Run(image)[0];
            var ort = (float[])RunOrt(qdqBytes, new[] { (input.Name, (Array)image, shape) }, GraphOptimizationLevel.ORT_ENABLE_ALL)[0];
            worstFused = Math.Max(worstFused, AssertWithinOneStep(ours, ort, OutputSteps(qdq, new Array[] { image }), "digits, ORT optimized"));
        }
        _out.WriteLine($"digits calibrated={calibrated}, ORT_ENABLE_ALL: worst |ours - ORT| {worstFused:F4} output steps");
    }

    [Fact]
    public void InternalOpsAreRefusedWithADiagnostic()
    {
        // A float16 output is narrowed by an internal op that has no ONNX form: EAI0305, not a wrong model.
        var b = new OnnxBuilder(13).Input("x", 1, 2, 3);
        b.Node("Relu", "x", "r");
        b.Node("Cast", new[] { "r" }, new[] { "y" }, A.Int("to", 10));
        var model = b.Output("y", 10).Build();
        var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("half.onnx", model.ToEquatableArray(), null), ModelOptions.Default("half.onnx"),
            EquatableArray<ModelFile>.Empty), default);
        var (bytes, error) = ModelCompiler.ExportQdq(result, "half.onnx");
        Assert.Null(bytes);
        Assert.Equal("EAI0305", error!.Id);
        Assert.Contains("half.onnx", error.Format());
    }
}
