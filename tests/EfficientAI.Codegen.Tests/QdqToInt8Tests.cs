using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using Xunit.Abstractions;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// The QdqToInt8 pass: pre-quantized QDQ layers (DequantizeLinear(QuantizeLinear(x)), DequantizeLinear(int8 weights) ->
/// Conv/Gemm/MatMul) run on the int8 kernels; against ONNX Runtime and against our own Quantize="int8" build.
/// </summary>
public class QdqToInt8Tests
{
    private readonly ITestOutputHelper _out;

    public QdqToInt8Tests(ITestOutputHelper output) => _out = output;

    private static ModelCompiler.Result Compile(byte[] model, string fileName, string disabledPasses = "") =>
        ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile(fileName, model.ToEquatableArray(), null),
            ModelOptions.Default(fileName) with { DisabledPasses = disabledPasses }, EquatableArray<ModelFile>.Empty), default);

    private static int CountOf(string text, string what) => (text.Length - text.Replace(what, "").Length) / what.Length;

    private static void Raw(OnnxBuilder b, string name, int type, int[] shape, byte[] raw)
    {
        var t = new TensorProto { Name = name, DataType = type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(shape.Select(d => (long)d));
        b.Graph.Initializer.Add(t);
    }

    private static void Int8(OnnxBuilder b, string name, int[] shape, sbyte[] v) => Raw(b, name, 3, shape, v.Select(x => (byte)x).ToArray());
    private static void UInt8(OnnxBuilder b, string name, int[] shape, byte[] v) => Raw(b, name, 2, shape, v);

    private static void Int32(OnnxBuilder b, string name, int[] shape, int[] v)
    {
        var bytes = new byte[v.Length * 4];
        Buffer.BlockCopy(v, 0, bytes, 0, bytes.Length);
        Raw(b, name, 6, shape, bytes);
    }

    private static sbyte[] RandomInt8(int n, int seed) => OrtReference.RandomFloats(n, seed, 1f).Select(v => (sbyte)Math.Round(v * 127)).ToArray();

    /// <summary>
    /// The form ONNX Runtime's quantize_static writes: x -> Q -> DQ, int8 weights per output channel -> DQ (axis 0),
    /// int32 bias -> DQ (scale x_scale * w_scale), Conv, then Q -> DQ on the output. Activations uint8, or int8 (signed).
    /// </summary>
    private static byte[] QdqConv(bool signedActivations, bool outputQdq = true)
    {
        var b = new OnnxBuilder(13).Input("x", 1, 4, 8, 8);
        float xScale = 2f / 255;
        int xType = signedActivations ? 3 : 2;
        b.Graph.Initializer.Add(OnnxBuilder.FloatTensor("xs", Array.Empty<int>(), new[] { xScale }));
        Raw(b, "xz", xType, Array.Empty<int>(), new[] { signedActivations ? (byte)253 : (byte)125 /* int8 -3 */ });
        var wScales = Enumerable.Range(0, 6).Select(i => 0.004f + 0.001f * i).ToArray();
        Int8(b, "wq", new[] { 6, 4, 3, 3 }, RandomInt8(6 * 36, 61));
        b.Graph.Initializer.Add(OnnxBuilder.FloatTensor("ws", new[] { 6 }, wScales));
        Int8(b, "wz", new[] { 6 }, new sbyte[6]);
        Int32(b, "bq", new[] { 6 }, new[] { 100, -250, 40, 0, 900, -30 });
        b.Graph.Initializer.Add(OnnxBuilder.FloatTensor("bs", new[] { 6 }, wScales.Select(s => s * xScale).ToArray()));
        b.Node("QuantizeLinear", new[] { "x", "xs", "xz" }, new[] { "xq" });
        b.Node("DequantizeLinear", new[] { "xq", "xs", "xz" }, new[] { "xd" });
        b.Node("DequantizeLinear", new[] { "wq", "ws", "wz" }, new[] { "wd" }, A.Int("axis", 0));
        b.Node("DequantizeLinear", new[] { "bq", "bs" }, new[] { "bd" }, A.Int("axis", 0));
        b.Node("Conv", new[] { "xd", "wd", "bd" }, new[] { outputQdq ? "y" : "out" }, A.Ints("pads", 1, 1, 1, 1));
        if (outputQdq)
        {
            b.Graph.Initializer.Add(OnnxBuilder.FloatTensor("ys", Array.Empty<int>(), new[] { 0.02f }));
            UInt8(b, "yz", Array.Empty<int>(), new byte[] { 128 });
            b.Node("QuantizeLinear", new[] { "y", "ys", "yz" }, new[] { "yq" });
            b.Node("DequantizeLinear", new[] { "yq", "ys", "yz" }, new[] { "out" });
        }
        return b.Output("out").Build();
    }

    /// <summary>Gemm (transB, per-tensor int8 weights, float C) and MatMul (per-column weights) on int8 activations.</summary>
    private static byte[] QdqGemmMatMul()
    {
        var b = new OnnxBuilder(13).Input("x", 3, 20);
        b.Graph.Initializer.Add(OnnxBuilder.FloatTensor("xs", Array.Empty<int>(), new[] { 1.9f / 255 }));
        Raw(b, "xz", 3, Array.Empty<int>(), new[] { (byte)2 });
        Int8(b, "gq", new[] { 12, 20 }, RandomInt8(240, 71));
        b.Graph.Initializer.Add(OnnxBuilder.FloatTensor("gs", Array.Empty<int>(), new[] { 0.005f }));
        b.Initializer("c", new[] { 12 }, OrtReference.RandomFloats(12, 72, 0.3f));
        b.Node("QuantizeLinear", new[] { "x", "xs", "xz" }, new[] { "xq" });
        b.Node("DequantizeLinear", new[] { "xq", "xs", "xz" }, new[] { "xd" });
        b.Node("DequantizeLinear", new[] { "gq", "gs" }, new[] { "gd" });
        b.Node("Gemm", new[] { "xd", "gd", "c" }, new[] { "g" }, A.Int("transB", 1));
        b.Graph.Initializer.Add(OnnxBuilder.FloatTensor("hs", Array.Empty<int>(), new[] { 0.01f }));
        UInt8(b, "hz", Array.Empty<int>(), new byte[] { 100 });
        Int8(b, "mq", new[] { 12, 5 }, RandomInt8(60, 73));
        b.Graph.Initializer.Add(OnnxBuilder.FloatTensor("ms", new[] { 5 }, new[] { 0.01f, 0.02f, 0.005f, 0.012f, 0.008f }));
        b.Node("QuantizeLinear", new[] { "g", "hs", "hz" }, new[] { "gq8" });
        b.Node("DequantizeLinear", new[] { "gq8", "hs", "hz" }, new[] { "gdq" });
        b.Node("DequantizeLinear", new[] { "mq", "ms" }, new[] { "md" }, A.Int("axis", 1));
        b.Node("MatMul", new[] { "gdq", "md" }, new[] { "y" });
        return b.Output("y").Build();
    }

    private static float[] Input(int n, int seed) => OrtReference.RandomFloats(n, seed, 1f);

    private static Array[] Ort(byte[] model, string name, float[] x, int[] shape, GraphOptimizationLevel level) =>
        QdqExportTests.RunOrt(model, new[] { (name, (Array)x, shape) }, level);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void QdqConvRunsOnTheInt8KernelAndAgreesWithOnnxRuntime(bool signedActivations)
    {
        var model = QdqConv(signedActivations);
        var result = Compile(model, "qdq_conv.onnx");
        var source = result.Output.Sources[0].Text;
        // The int8 kernel, with the model's static scale and an int32 bias; the weights are not dequantized to float.
        Assert.Equal(1, CountOf(source, "Int8Ops.FloatConv("));
        Assert.DoesNotContain("Conv.Conv2D", source);
        var layer = Assert.Single(result.Graph!.Quantization);
        Assert.True(layer.Quantized && layer.Reason.Contains("pre-quantized (QDQ)") && layer.Reason.EndsWith("int32 bias", StringComparison.Ordinal), layer.ToString());
        Assert.Equal(signedActivations ? 125 : 125, layer.InputZeroPoint); // int8 -3 is uint8 125: the same values offset by 128

        var runner = GeneratorHarness.Compile(model, null, $"qdq_conv_{signedActivations}.onnx");
        var shape = new[] { 1, 4, 8, 8 };
        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            double worst = 0;
            int differ = 0, total = 0;
            for (int seed = 0; seed < 6; seed++)
            {
                var x = Input(4 * 64, 800 + seed);
                var ours = (float[])runner.Run(x)[0];
                var ort = (float[])Ort(model, "x", x, shape, level)[0];
                // The output goes through QuantizeLinear(0.02): ours rounds the float result, ORT (fused) requantizes the
                // int32 sums; either way a value on a rounding boundary may land one output step (0.02) apart.
                for (int i = 0; i < ours.Length; i++)
                {
                    double steps = Math.Abs(ours[i] - ort[i]) / 0.02;
                    worst = Math.Max(worst, steps);
                    differ += steps > 1e-3 ? 1 : 0;
                    Assert.True(steps <= 1.0001, $"{level}, seed {seed}, output {i}: ours {ours[i]}, ORT {ort[i]}");
                }
                total += ours.Length;
            }
            _out.WriteLine($"signed={signedActivations} {level}: {differ}/{total} outputs one step (0.02) apart, worst {worst:F3} steps");
        }
    }

    [Fact]
    public void QdqGemmAndMatMulRunOnTheInt8Kernels()
    {
        var model = QdqGemmMatMul();
        var result = Compile(model, "qdq_gemm.onnx");
        Assert.Equal(2, CountOf(result.Output.Sources[0].Text, "Int8Ops.FloatMatMul("));
        Assert.All(result.Graph!.Quantization, q => Assert.True(q.Quantized, q.ToString()));
        var runner = GeneratorHarness.Compile(model, null, "qdq_gemm_run.onnx");
        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            double worst = 0;
            for (int seed = 0; seed < 6; seed++)
            {
                var x = Input(60, 900 + seed);
                var ours = (float[])runner.Run(x)[0];
                var ort = (float[])Ort(model, "x", x, new[] { 3, 20 }, level)[0];
                // The MatMul's input is the Gemm's float output quantized with scale 0.01: a Gemm output on a rounding boundary
                // may quantize one step apart, which moves the MatMul's output by at most 0.01 * max|w[:, j]| (max |w_q| 127).
                var steps = new[] { 0.01f, 0.02f, 0.005f, 0.012f, 0.008f }.Select(s => 0.01 * 127 * s).ToArray();
                worst = Math.Max(worst, QdqExportTests.AssertWithinOneStep(ours, ort, steps, $"{level}, seed {seed}"));
            }
            _out.WriteLine($"Gemm+MatMul {level}: worst {worst:F4} output steps against ORT");
        }
    }

    [Theory]
    [InlineData("qdq_conv_export")]
    [InlineData("digits")]
    public void ExportedStaticModelsRoundTripBitForBit(string which)
    {
        // Step 1's export of a calibrated build, compiled again without Quantize: the pass rebuilds the very int8 layers.
        var root = Snapshot.RepoRoot();
        byte[] model;
        string calib;
        float[][] inputs;
        if (which == "digits")
        {
            model = File.ReadAllBytes(Path.Combine(root, "models", "digits_cnn.onnx"));
            calib = Path.Combine(root, "models", "digits_calib.npy");
            inputs = File.ReadLines(Path.Combine(root, "models", "digits_test.csv")).Skip(1).Take(20)
                .Select(l => l.Split(',').Skip(1).Select(p => int.Parse(p) / 16f).ToArray()).ToArray();
        }
        else
        {
            var b = new OnnxBuilder(13).Input("x", 1, 3, 7, 7);
            b.Initializer("w", new[] { 5, 3, 3, 3 }, OrtReference.RandomFloats(135, 91, 0.5f));
            b.Initializer("b", new[] { 5 }, OrtReference.RandomFloats(5, 92, 0.2f));
            b.Initializer("g", new[] { 5 * 25, 4 }, OrtReference.RandomFloats(500, 93, 0.2f));
            b.Initializer("c", new[] { 4 }, OrtReference.RandomFloats(4, 94, 0.2f));
            b.Node("Conv", new[] { "x", "w", "b" }, new[] { "c1" });
            b.Node("Relu", "c1", "r");
            b.Node("Flatten", "r", "f");
            b.Node("Gemm", new[] { "f", "g", "c" }, new[] { "y" });
            model = b.Output("y").Build();
            var data = Enumerable.Range(0, 12).SelectMany(i => Input(147, 1200 + i)).ToArray();
            calib = GeneratorHarness.WriteNpy("qdq_roundtrip.npy", new[] { 12, 1, 3, 7, 7 }, data);
            inputs = Enumerable.Range(0, 5).Select(i => Input(147, 1300 + i)).ToArray();
        }
        var metadata = new Dictionary<string, string> { ["Quantize"] = "int8", ["Calibration"] = Path.GetFileName(calib) };
        var int8 = GeneratorHarness.Compile(model, metadata, $"roundtrip_{which}.onnx", calib);
        var qdq = QdqExportTests.Export(model, metadata, $"roundtrip_{which}.onnx", new[] { calib });
        var result = Compile(qdq, $"roundtrip_{which}_qdq.onnx");
        Assert.All(result.Graph!.Quantization, q => Assert.True(q.Quantized, q.ToString()));
        Assert.Equal(which == "digits" ? 4 : 2, result.Graph.Quantization.Count);
        var again = GeneratorHarness.Compile(qdq, null, $"roundtrip_{which}_qdq.onnx");
        foreach (var x in inputs) Assert.Equal((float[])int8.Run(x)[0], (float[])again.Run(x)[0]);
    }

    [Fact]
    public void NearMissStaysFloatWithAnInfoDiagnostic()
    {
        // uint8 weights with zero point 0 and values up to 255: minus their zero point they do not fit int8.
        var b = new OnnxBuilder(13).Input("x", 2, 6);
        b.Graph.Initializer.Add(OnnxBuilder.FloatTensor("xs", Array.Empty<int>(), new[] { 0.01f }));
        UInt8(b, "xz", Array.Empty<int>(), new byte[] { 128 });
        UInt8(b, "wq", new[] { 6, 3 }, Enumerable.Range(0, 18).Select(i => (byte)(i * 14)).ToArray());
        b.Graph.Initializer.Add(OnnxBuilder.FloatTensor("ws", Array.Empty<int>(), new[] { 0.003f }));
        b.Node("QuantizeLinear", new[] { "x", "xs", "xz" }, new[] { "xq" });
        b.Node("DequantizeLinear", new[] { "xq", "xs", "xz" }, new[] { "xd" });
        b.Node("DequantizeLinear", new[] { "wq", "ws" }, new[] { "wd" });
        b.Node("MatMul", new[] { "xd", "wd" }, new[] { "y" });
        var model = b.Output("y").Build();
        var result = Compile(model, "near_miss.onnx");
        var note = Assert.Single(result.Output.Diagnostics, d => d.Id == "EAI0306");
        Assert.Contains("do not fit int8", note.Format());
        Assert.Equal(0, CountOf(result.Output.Sources[0].Text, "Int8Ops.FloatMatMul("));
        var x = Input(12, 5);
        var ours = (float[])GeneratorHarness.Compile(model, null, "near_miss_run.onnx").Run(x)[0];
        OrtReference.AssertClose(Ort(model, "x", x, new[] { 2, 6 }, GraphOptimizationLevel.ORT_DISABLE_ALL)[0], ours, 1e-5, 1e-6, "near miss");
        // Switched off: the pattern is not looked at, so no note either.
        var off = Compile(QdqConv(false), "qdq_off.onnx", "QdqToInt8");
        Assert.Equal(0, CountOf(off.Output.Sources[0].Text, "Int8Ops.FloatConv("));
        Assert.DoesNotContain(off.Output.Diagnostics, d => d.Id == "EAI0306");
    }
}
