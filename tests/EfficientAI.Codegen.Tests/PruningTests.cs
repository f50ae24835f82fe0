using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Prune (unstructured magnitude pruning): per layer, global, excluded layers, against ONNX Runtime on the pruned model, on the digits CNN.</summary>
public class PruningTests
{
    private static readonly (string Name, int[] Shape)[] s_weights =
    {
        ("w1", new[] { 8, 3, 3, 3 }), ("w2", new[] { 6, 8, 3, 3 }), ("g", new[] { 10, 96 }), ("m", new[] { 10, 7 }),
    };

    /// <summary>Conv (bias), Relu, strided Conv, Flatten, Gemm (transB, bias), MatMul; weights by name (random unless given).</summary>
    internal static byte[] SmallNet(Dictionary<string, float[]>? weights = null)
    {
        float[] W(string name, int seed, float scale) =>
            weights is not null && weights.TryGetValue(name, out var w) ? w : OrtReference.RandomFloats(s_weights.First(s => s.Name == name).Shape.Aggregate(1, (a, d) => a * d), seed, scale);
        var b = new OnnxBuilder(13).Input("x", 2, 3, 9, 9);
        b.Initializer("w1", s_weights[0].Shape, W("w1", 11, 0.4f));
        b.Initializer("b1", new[] { 8 }, OrtReference.RandomFloats(8, 12, 0.2f));
        b.Initializer("w2", s_weights[1].Shape, W("w2", 13, 0.2f));
        b.Initializer("g", s_weights[2].Shape, W("g", 14, 0.2f));
        b.Initializer("c", new[] { 10 }, OrtReference.RandomFloats(10, 15, 0.3f));
        b.Initializer("m", s_weights[3].Shape, W("m", 16, 0.5f));
        b.Node("Conv", new[] { "x", "w1", "b1" }, new[] { "c1" }, A.Ints("pads", 1, 1, 1, 1));
        b.Node("Relu", "c1", "r1");
        b.Node("Conv", new[] { "r1", "w2" }, new[] { "c2" }, A.Ints("strides", 2, 2));
        b.Node("Flatten", "c2", "f");
        b.Node("Gemm", new[] { "f", "g", "c" }, new[] { "y" }, A.Int("transB", 1), A.Float("alpha", 0.5f), A.Float("beta", 2f));
        b.Node("MatMul", new[] { "y", "m" }, new[] { "z" }).Output("z");
        var model = b.Model;
        for (int i = 0; i < model.Graph.Node.Count; i++) model.Graph.Node[i].Name = model.Graph.Node[i].OpType.ToLowerInvariant() + i;
        return b.Build();
    }

    private static Dictionary<string, float[]> OriginalWeights()
    {
        var proto = Onnx.Proto.ModelProto.Parser.ParseFrom(SmallNet());
        return s_weights.ToDictionary(s => s.Name, s =>
        {
            var t = proto.Graph.Initializer.First(i => i.Name == s.Name);
            var bytes = t.RawData.ToByteArray();
            var f = new float[bytes.Length / 4];
            Buffer.BlockCopy(bytes, 0, f, 0, bytes.Length);
            return f;
        });
    }

    /// <summary>The reference: zero the round(sparsity * n) smallest |w| of each array (stable sort, so lower indices first among equals).</summary>
    private static float[] NaivePrune(float[] w, double sparsity)
    {
        var pruned = (float[])w.Clone();
        int count = (int)Math.Round(w.Length * sparsity, MidpointRounding.AwayFromZero);
        foreach (var i in Enumerable.Range(0, w.Length).OrderBy(i => Math.Abs(w[i])).ThenBy(i => i).Take(count)) pruned[i] = 0;
        return pruned;
    }

    private static ModelCompiler.Result CompileDetailed(byte[] model, ModelOptions options) =>
        ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", model.ToEquatableArray(), null), options), default);

    private static ModelOptions Options => ModelOptions.Default("m.onnx");

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void PerLayerPruningMatchesOrtOnTheSameWeightsPruned(double sparsity)
    {
        var s = sparsity.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var pruned = SmallNet(OriginalWeights().ToDictionary(kv => kv.Key, kv => NaivePrune(kv.Value, sparsity)));
        var x = OrtReference.RandomFloats(2 * 3 * 81, 5, 1f);
        var expected = OrtReference.Run(pruned, new[] { ("x", (Array)x, new[] { 2, 3, 9, 9 }) })[0];
        var runner = GeneratorHarness.Compile(SmallNet(), new Dictionary<string, string> { ["Prune"] = s }, $"small_pruned_{(int)(sparsity * 100)}.onnx");
        var actual = runner.Run(x)[0];
        OrtReference.AssertClose(expected, actual, 1e-4, 1e-5, $"Prune={s}");
        // And it differs from the unpruned model: the pruning did something.
        var dense = (float[])OrtReference.Run(SmallNet(), new[] { ("x", (Array)x, new[] { 2, 3, 9, 9 }) })[0];
        Assert.True(dense.Zip((float[])actual, (d, a) => Math.Abs(d - a)).Max() > 1e-3, "pruned output equals the dense output");
        Assert.Equal(0, runner.Allocations(new Array[] { x }, 10));

        var report = CompileDetailed(SmallNet(), Options with { Prune = s }).Report!;
        Assert.Equal(4, report.Pruning.Length);
        foreach (var layer in report.Pruning)
            Assert.True(Math.Abs(layer.Sparsity - sparsity) < 0.5 / layer.Weights + 1e-9, $"{layer.Node}: {layer.Zeros}/{layer.Weights}");
    }


    /// <summary>One row through Gemm (transB, alpha, bias) 64->48, Relu, MatMul 48->10: the shape the CSR kernel is for.</summary>
    private static byte[] Mlp(Dictionary<string, float[]>? weights = null)
    {
        var b = new OnnxBuilder(13).Input("x", 1, 64);
        b.Initializer("g", new[] { 48, 64 }, weights?["g"] ?? OrtReference.RandomFloats(48 * 64, 21, 0.3f));
        b.Initializer("c", new[] { 48 }, OrtReference.RandomFloats(48, 22, 0.3f));
        b.Initializer("m", new[] { 48, 10 }, weights?["m"] ?? OrtReference.RandomFloats(480, 23, 0.5f));
        b.Node("Gemm", new[] { "x", "g", "c" }, new[] { "h" }, A.Int("transB", 1), A.Float("alpha", 0.5f), A.Float("beta", 2f));
        b.Node("Relu", "h", "r");
        b.Node("MatMul", new[] { "r", "m" }, new[] { "y" });
        return b.Output("y").Build();
    }

    [Fact]
    public void VerySparseWeightsRunOnTheCsrKernelAndMatchOrt()
    {
        var weights = new Dictionary<string, float[]>
        {
            ["g"] = NaivePrune(OrtReference.RandomFloats(48 * 64, 21, 0.3f), 0.96),
            ["m"] = NaivePrune(OrtReference.RandomFloats(480, 23, 0.5f), 0.96),
        };
        var x = OrtReference.RandomFloats(64, 7, 1f);
        var expected = OrtReference.Run(Mlp(weights), new[] { ("x", (Array)x, new[] { 1, 64 }) })[0];
        var metadata = new Dictionary<string, string> { ["Prune"] = "0.96" };
        var runner = GeneratorHarness.Compile(Mlp(), metadata, "mlp_sparse.onnx");
        OrtReference.AssertClose(expected, runner.Run(x)[0], 1e-4, 1e-5, "Prune=0.96 on the CSR kernel");
        Assert.Equal(0, runner.Allocations(new Array[] { x }, 20));

        var path = GeneratorHarness.WriteModel(Mlp(), "mlp_sparse_src.onnx");
        string Source(Dictionary<string, string>? m) => string.Join("\n", GeneratorHarness.Generate(path, m).Output.SyntaxTrees.Select(t => t.ToString()));
        Assert.Equal(2, CountOf(Source(metadata), "SparseGemm.Compute("));
        // At half sparsity the packed dense kernel is faster (docs/compression.md): no CSR.
        Assert.Equal(0, CountOf(Source(new Dictionary<string, string> { ["Prune"] = "0.5" }), "SparseGemm.Compute("));
        // The report says which kernel each pruned layer runs on.
        Assert.All(CompileDetailed(Mlp(), Options with { Prune = "0.96" }).Report!.Pruning, p => Assert.True(p.SparseKernel, p.ToString()));
        var dense = CompileDetailed(Mlp(), Options with { Prune = "0.5" }).Report!;
        Assert.All(dense.Pruning, p => Assert.False(p.SparseKernel, p.ToString()));
        Assert.Contains("| dense |", dense.Write("md"));
    }

    private static int CountOf(string text, string what) => (text.Length - text.Replace(what, "").Length) / what.Length;

    [Fact]
    public void PrunedConvolutionsRunOnTheSparseKernelAndMatchOrt()
    {
        // Above SparseWeights.ConvMinSparsity both Convs run on Conv2DSparse; at 0.3 they stay on the packed kernel.
        Assert.InRange(Emit.SparseWeights.ConvMinSparsity, 0.31, 0.9);
        var pruned = SmallNet(OriginalWeights().ToDictionary(kv => kv.Key, kv => NaivePrune(kv.Value, 0.9)));
        var x = OrtReference.RandomFloats(2 * 3 * 81, 6, 1f);
        var expected = OrtReference.Run(pruned, new[] { ("x", (Array)x, new[] { 2, 3, 9, 9 }) })[0];
        var metadata = new Dictionary<string, string> { ["Prune"] = "0.9" };
        var runner = GeneratorHarness.Compile(SmallNet(), metadata, "small_sparse_conv.onnx");
        OrtReference.AssertClose(expected, runner.Run(x)[0], 1e-4, 1e-5, "Prune=0.9 with sparse Convs");
        Assert.Equal(0, runner.Allocations(new Array[] { x }, 10));
        var path = GeneratorHarness.WriteModel(SmallNet(), "small_sparse_conv_src.onnx");
        string Source(Dictionary<string, string>? m) => string.Join("\n", GeneratorHarness.Generate(path, m).Output.SyntaxTrees.Select(t => t.ToString()));
        Assert.Equal(2, CountOf(Source(metadata), "Conv.Conv2DSparse("));
        Assert.Equal(0, CountOf(Source(new Dictionary<string, string> { ["Prune"] = "0.3" }), "Conv.Conv2DSparse("));
    }

    [Fact]
    public void ManyRowsRunOnTheRowsKernelAndMatchOrt()
    {
        // 20 rows (one full block of 16 and a partial one) through Gemm (transB) and MatMul at 92% zeros.
        byte[] Build(float[]? g, float[]? m)
        {
            var b = new OnnxBuilder(13).Input("x", 20, 40);
            b.Initializer("g", new[] { 24, 40 }, g ?? OrtReference.RandomFloats(960, 61, 0.4f));
            b.Initializer("c", new[] { 24 }, OrtReference.RandomFloats(24, 62, 0.3f));
            b.Initializer("m", new[] { 24, 9 }, m ?? OrtReference.RandomFloats(216, 63, 0.5f));
            b.Node("Gemm", new[] { "x", "g", "c" }, new[] { "h" }, A.Int("transB", 1));
            b.Node("Tanh", "h", "t");
            b.Node("MatMul", new[] { "t", "m" }, new[] { "y" });
            return b.Output("y").Build();
        }
        var expectedModel = Build(NaivePrune(OrtReference.RandomFloats(960, 61, 0.4f), 0.92), NaivePrune(OrtReference.RandomFloats(216, 63, 0.5f), 0.92));
        var x = OrtReference.RandomFloats(800, 64, 1f);
        var expected = OrtReference.Run(expectedModel, new[] { ("x", (Array)x, new[] { 20, 40 }) })[0];
        var metadata = new Dictionary<string, string> { ["Prune"] = "0.92" };
        var runner = GeneratorHarness.Compile(Build(null, null), metadata, "rows_sparse.onnx");
        OrtReference.AssertClose(expected, runner.Run(x)[0], 1e-4, 1e-5, "Prune=0.92 on the rows kernel");
        Assert.Equal(0, runner.Allocations(new Array[] { x }, 10));
        var path = GeneratorHarness.WriteModel(Build(null, null), "rows_sparse_src.onnx");
        var source = string.Join("\n", GeneratorHarness.Generate(path, metadata).Output.SyntaxTrees.Select(t => t.ToString()));
        Assert.Equal(2, CountOf(source, "SparseGemm.ComputeRows("));
    }

    [Fact]
    public void UnnamedLayersGetARecordEach()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 4, 5, 5);
        b.Initializer("w1", new[] { 4, 4, 1, 1 }, OrtReference.RandomFloats(16, 71, 0.5f));
        b.Initializer("w2", new[] { 4, 4, 1, 1 }, OrtReference.RandomFloats(16, 72, 0.5f));
        b.Node("Conv", new[] { "x", "w1" }, new[] { "a" });
        b.Node("Conv", new[] { "a", "w2" }, new[] { "y" }).Output("y");
        foreach (var node in b.Model.Graph.Node) node.Name = "";
        var pruning = CompileDetailed(b.Build(), Options with { Prune = "0.5", PruneStructured = "0.25" }).Report!.Pruning;
        Assert.Equal(new[] { "(a)", "(y)" }, pruning.Select(p => p.Node));
        Assert.Equal(new[] { 1, 0 }, pruning.Select(p => p.ChannelsRemoved));
        Assert.All(pruning, p => Assert.True(p.Zeros * 2 >= p.Weights - 1, p.ToString()));
    }

    [Fact]
    public void GlobalPruningRanksAllLayersTogether()
    {
        var original = OriginalWeights();
        var result = CompileDetailed(SmallNet(), Options with { Prune = "0.5", PruneScope = "global" });
        var pruning = result.Report!.Pruning;
        long zeros = pruning.Sum(p => (long)p.Zeros), total = pruning.Sum(p => (long)p.Weights);
        Assert.Equal((int)Math.Round(total * 0.5, MidpointRounding.AwayFromZero), zeros);
        // One threshold: the smallest kept magnitude anywhere is at least the largest pruned one anywhere.
        float largestPruned = 0, smallestKept = float.MaxValue;
        foreach (var p in pruning)
        {
            var node = result.Graph!.Nodes.First(n => n.Name == p.Node);
            var after = result.Graph.Values[node.Inputs[1]].Constant!.ToFloats();
            var before = original[p.Weight];
            for (int i = 0; i < before.Length; i++)
                if (after[i] == 0) largestPruned = Math.Max(largestPruned, Math.Abs(before[i]));
                else smallestKept = Math.Min(smallestKept, Math.Abs(before[i]));
        }
        Assert.True(largestPruned <= smallestKept, $"pruned up to {largestPruned}, kept from {smallestKept}");
        // Layers with smaller weights (w2, g: scale 0.2) lose more than the layer with the largest (m: 0.5).
        Assert.True(pruning.First(p => p.Weight == "g").Sparsity > pruning.First(p => p.Weight == "m").Sparsity);
    }

    [Fact]
    public void ExcludedLayersKeepTheirWeights()
    {
        // A regular expression over node and weight names: the MatMul by its node name, the first Conv by its weight's.
        var result = CompileDetailed(SmallNet(), Options with { Prune = "0.5", PruneExclude = "^matmul|^w1$" });
        var pruning = result.Report!.Pruning;
        Assert.Equal(0, pruning.First(p => p.OpType == "MatMul").Zeros);
        Assert.Equal(0, pruning.First(p => p.Weight == "w1").Zeros);
        Assert.Equal("excluded by PruneExclude", pruning.First(p => p.Weight == "w1").Note);
        Assert.True(pruning.First(p => p.Weight == "w2").Sparsity >= 0.49);
        var md = result.Report.Write("md");
        Assert.Contains("## Pruning", md);
        Assert.Contains("excluded by PruneExclude", md);
        Assert.Contains("\"pruning\": [", result.Report.Write("json"));
    }

    [Fact]
    public void TiesArePrunedInIndexOrder()
    {
        // Every weight of w1 has the same magnitude: half of them go, the lowest indices first.
        var weights = OriginalWeights();
        weights["w1"] = Enumerable.Range(0, 216).Select(i => i % 2 == 0 ? 0.25f : -0.25f).ToArray();
        var result = CompileDetailed(SmallNet(weights), Options with { Prune = "0.5" });
        var node = result.Graph!.Nodes.First(n => n.Name == "conv0");
        var after = result.Graph.Values[node.Inputs[1]].Constant!.ToFloats();
        Assert.All(after.Take(108), v => Assert.Equal(0f, v));
        Assert.All(after.Skip(108), v => Assert.Equal(0.25f, Math.Abs(v)));
    }

    [Theory]
    [InlineData("Prune", "1")]
    [InlineData("Prune", "-0.1")]
    [InlineData("Prune", "half")]
    [InlineData("PruneStructured", "1.5")]
    [InlineData("PruneScope", "network")]
    [InlineData("PruneExclude", "conv(")]
    public void BadPruningOptionsAreDiagnosedByName(string option, string value)
    {
        var path = GeneratorHarness.WriteModel(SmallNet(), "bad_prune.onnx");
        var metadata = new Dictionary<string, string> { [option] = value };
        if (option != "Prune" && option != "PruneStructured") metadata["Prune"] = "0.5";
        var (_, diagnostics, _) = GeneratorHarness.Generate(path, metadata);
        var d = Assert.Single(diagnostics, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        Assert.Equal("EAI0350", d.Id);
        Assert.Contains("pruning option " + option + ":", d.GetMessage());
    }

    internal static (int Label, float[] Image)[] DigitsSamples() =>
        File.ReadLines(Path.Combine(Snapshot.RepoRoot(), "models", "digits_test.csv")).Skip(1)
            .Select(l => l.Split(',').Select(int.Parse).ToArray())
            .Select(v => (v[0], v.Skip(1).Select(p => p / 16f).ToArray())).ToArray();

    internal static int Correct(CompiledModelRunner r, (int Label, float[] Image)[] samples) =>
        samples.Count(s => { var y = (float[])r.Run(s.Image)[0]; return Array.IndexOf(y, y.Max()) == s.Label; });

    [Fact]
    public void DigitsCnnKeepsItsAccuracyAtHalfSparsity()
    {
        var model = File.ReadAllBytes(Path.Combine(Snapshot.RepoRoot(), "models", "digits_cnn.onnx"));
        var samples = DigitsSamples();
        int floatCorrect = Correct(GeneratorHarness.Compile(model, null, "digits_float_p.onnx"), samples);
        // The target: 50% pruning within 1 point of float on the held-out split. Met by global ranking, and by
        // per-layer pruning that spares the 64x10 output layer; per-layer pruning of every layer loses about 2 points
        // (docs/compression.md).
        foreach (var (scope, exclude) in new[] { ("global", ""), ("layer", "classifier\\.2/") })
        {
            int prunedCorrect = Correct(GeneratorHarness.Compile(model, new Dictionary<string, string> { ["Prune"] = "0.5", ["PruneScope"] = scope, ["PruneExclude"] = exclude },
                $"digits_pruned_{scope}.onnx"), samples);
            Assert.True(prunedCorrect * 100 >= floatCorrect * 100 - samples.Length,
                $"{scope} (exclude '{exclude}'): pruned {prunedCorrect}/{samples.Length}, float {floatCorrect}/{samples.Length}");
        }
    }
}
