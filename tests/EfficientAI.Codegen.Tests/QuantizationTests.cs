using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Ops;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Quantize="int8": int8 weights, dynamic uint8 activations, against float ONNX Runtime and on the digits CNN.</summary>
public class QuantizationTests
{
    private static readonly Dictionary<string, string> Int8 = new() { ["Quantize"] = "int8" };

    /// <summary>Conv (3x3 pad 1, then strided), Relu, Flatten, Gemm (transB, bias), MatMul: every quantized kind.</summary>
    private static byte[] SmallNet()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 3, 9, 9);
        b.Initializer("w1", new[] { 8, 3, 3, 3 }, OrtReference.RandomFloats(8 * 27, 11, 0.4f));
        b.Initializer("b1", new[] { 8 }, OrtReference.RandomFloats(8, 12, 0.2f));
        b.Initializer("w2", new[] { 6, 8, 3, 3 }, OrtReference.RandomFloats(6 * 72, 13, 0.2f));
        b.Initializer("g", new[] { 10, 6 * 4 * 4 }, OrtReference.RandomFloats(10 * 96, 14, 0.2f));
        b.Initializer("c", new[] { 10 }, OrtReference.RandomFloats(10, 15, 0.3f));
        b.Initializer("m", new[] { 10, 7 }, OrtReference.RandomFloats(70, 16, 0.5f));
        b.Node("Conv", new[] { "x", "w1", "b1" }, new[] { "c1" }, A.Ints("pads", 1, 1, 1, 1));
        b.Node("Relu", "c1", "r1");
        b.Node("Conv", new[] { "r1", "w2" }, new[] { "c2" }, A.Ints("strides", 2, 2));
        b.Node("Flatten", "c2", "f");
        b.Node("Gemm", new[] { "f", "g", "c" }, new[] { "y" }, A.Int("transB", 1), A.Float("alpha", 0.5f), A.Float("beta", 2f));
        b.Node("MatMul", new[] { "y", "m" }, new[] { "z" });
        return b.Output("z").Build();
    }

    [Fact]
    public void Int8LayersFollowFloatWithinQuantizationError()
    {
        var model = SmallNet();
        var x = OrtReference.RandomFloats(2 * 3 * 81, 5, 1f);
        var expected = (float[])OrtReference.Run(model, new[] { ("x", (Array)x, new[] { 2, 3, 9, 9 }) })[0];
        var runner = GeneratorHarness.Compile(model, Int8);
        var actual = (float[])runner.Run(x)[0];
        // Four int8 layers with 8-bit activations: about 1% of the output's range per layer, not more.
        float range = expected.Max(v => Math.Abs(v));
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst < 0.04 * range, $"max error {worst} against output range {range}");
        Assert.True(worst > 0, "the int8 build gave exactly the float result: it cannot have quantized anything");
        Assert.Equal(0, runner.Allocations(new Array[] { x }, 20));
    }

    [Fact]
    public void GeneratedCodeCallsTheInt8KernelsAndShrinksTheWeights()
    {
        var model = SmallNet();
        var path = GeneratorHarness.WriteModel(model, "small_int8.onnx");
        var (floatOut, _, _) = GeneratorHarness.Generate(path);
        var (int8Out, diagnostics, _) = GeneratorHarness.Generate(path, Int8);
        Assert.DoesNotContain(diagnostics, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        var source = string.Join("\n", int8Out.SyntaxTrees.Select(t => t.ToString()));
        Assert.Equal(2, CountOf(source, "Int8Ops.FloatConv("));
        Assert.Equal(2, CountOf(source, "Int8Ops.FloatMatMul("));
        Assert.DoesNotContain("Gemm.Compute(", source);
        long Weights(Microsoft.CodeAnalysis.Compilation c) => long.Parse(
            System.Text.RegularExpressions.Regex.Match(string.Join("\n", c.SyntaxTrees.Select(t => t.ToString())), @"WeightBytes = (\d+)").Groups[1].Value);
        // A quarter of the bytes, plus the packed layout's padding (columns to 16, depth to 4) on these tiny layers.
        Assert.True(Weights(int8Out) * 10 < Weights(floatOut) * 6, $"int8 weights {Weights(int8Out)} B, float {Weights(floatOut)} B");
    }

    private static int CountOf(string text, string what) => (text.Length - text.Replace(what, "").Length) / what.Length;

    [Fact]
    public void AnUnknownQuantizationIsAnOptionError()
    {
        var path = GeneratorHarness.WriteModel(SmallNet(), "bad_quant.onnx");
        var (_, diagnostics, _) = GeneratorHarness.Generate(path, new Dictionary<string, string> { ["Quantize"] = "int4" });
        var d = Assert.Single(diagnostics, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        Assert.Equal("EAI0003", d.Id);
        Assert.Contains("int4", d.GetMessage());
    }

    [Fact]
    public void CompileTimePackingMatchesTheRuntimePacker()
    {
        var rng = new Random(3);
        foreach (var (k, n) in new[] { (1, 1), (5, 17), (27, 8), (64, 33) })
        {
            var b = Enumerable.Range(0, k * n).Select(_ => (sbyte)rng.Next(-127, 128)).ToArray();
            foreach (bool transposed in new[] { false, true })
            {
                var expected = new sbyte[EfficientAI.Runtime.Int8Gemm.PackedLength(k, n)];
                var expectedSums = new int[n];
                EfficientAI.Runtime.Int8Gemm.PackB(b, transposed, k, n, expected, expectedSums);
                var packed = new sbyte[Int8Weights.PackedLength(k, n) + 3];
                var sums = new int[n + 2];
                Int8Weights.Pack(b, 0, transposed, k, n, packed, 3, sums, 2);
                Assert.Equal(expected, packed.Skip(3));
                Assert.Equal(expectedSums, sums.Skip(2));
            }
        }
    }

    [Fact]
    public void CompileTimePanelPackingMatchesTheRuntimePacker()
    {
        // The int8 experts' layout (QuantizedMoE): Int8Weights.PackPanels must write what Int8PanelGemm.PackB writes.
        var rng = new Random(5);
        foreach (var (k, n) in new[] { (1, 1), (5, 17), (27, 8), (64, 33), (9, 70) })
        {
            var b = Enumerable.Range(0, k * n).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
            foreach (bool transposed in new[] { false, true })
            {
                var expected = new sbyte[EfficientAI.Runtime.Int8PanelGemm.PackedLength(k, n)];
                var expectedSums = new int[n];
                EfficientAI.Runtime.Int8PanelGemm.PackB(b, transposed, k, n, expected, expectedSums);
                var packed = new sbyte[Int8Weights.PackedLength(k, n) + 3];
                var sums = new int[n + 2];
                Int8Weights.PackPanels(b, 0, transposed, k, n, packed, 3, sums, 2);
                Assert.Equal(expected, packed.Skip(3));
                Assert.Equal(expectedSums, sums.Skip(2));
            }
        }
    }

    [Fact]
    public void DigitsCnnKeepsItsAccuracyInInt8()
    {
        var root = Snapshot.RepoRoot();
        var model = File.ReadAllBytes(Path.Combine(root, "models", "digits_cnn.onnx"));
        var samples = File.ReadLines(Path.Combine(root, "models", "digits_test.csv")).Skip(1)
            .Select(l => l.Split(',').Select(int.Parse).ToArray())
            .Select(v => (Label: v[0], Image: v.Skip(1).Select(p => p / 16f).ToArray())).ToArray();
        int Correct(CompiledModelRunner r) => samples.Count(s => ArgMax((float[])r.Run(s.Image)[0]) == s.Label);
        int floatCorrect = Correct(GeneratorHarness.Compile(model, null, "digits_float.onnx"));
        int int8Correct = Correct(GeneratorHarness.Compile(model, Int8, "digits_int8.onnx"));
        // The issue's target: int8 within 0.5 point of float on the held-out split.
        Assert.True(int8Correct * 1000 >= floatCorrect * 1000 - 5 * samples.Length,
            $"int8 {int8Correct}/{samples.Length}, float {floatCorrect}/{samples.Length}");
    }

    private static ModelCompiler.Result CompileDetailed(byte[] model, string minSqnrDb = "") =>
        ModelCompiler.CompileDetailed(new Model.ModelRequest(new Model.ModelFile("m.onnx", model.ToEquatableArray(), null),
            ModelOptions.Default("m.onnx") with { Quantize = "int8", MinSqnrDb = minSqnrDb }), default);

    [Fact]
    public void TheReportListsEveryLayersPrecisionScalesAndSqnr()
    {
        var report = CompileDetailed(SmallNet()).Report!;
        Assert.Equal(4, report.Quantization.Length);
        Assert.All(report.Quantization, q => Assert.True(q.Quantized && q.WeightSqnrDb > 30 && q.MinWeightScale > 0, q.ToString()));
        var md = report.Write("md");
        Assert.Contains("## Quantization", md);
        Assert.Contains("| Gemm | int8 |", md);
        Assert.Contains("\"quantization\": [", report.Write("json"));
    }

    [Fact]
    public void LayersBelowMinSqnrStayFloatAndSayWhy()
    {
        // At 60 dB no 8-bit layer qualifies: everything stays float, with the measured figure in the report.
        var result = CompileDetailed(SmallNet(), "60");
        Assert.All(result.Report!.Quantization, q => Assert.False(q.Quantized));
        Assert.Contains("below MinSqnrDb 60", result.Report.Quantization[0].Reason);
        Assert.DoesNotContain(result.Graph!.Nodes, n => n.Domain == QuantizedMatMulOp.OpDomain);
        var bad = CompileDetailed(SmallNet(), "loud");
        Assert.Contains(bad.Output.Diagnostics, d => d.Id == "EAI0003");
    }

    private static int ArgMax(float[] v) => Array.IndexOf(v, v.Max());
}
