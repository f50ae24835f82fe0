using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>com.microsoft::MoE against ONNX Runtime's CPU kernel, and the committed MoE digits models (models/make_moe.py).</summary>
public class MixtureOfExpertsTests
{
    // Each output is a routing-weighted sum of two GEMVs over 24-40 terms; the sums run in another order than ORT's.
    private const double Rtol = 1e-4, Atol = 1e-5;

    /// <summary>A model of one MoE node with random weights; the router logits are a graph input.</summary>
    internal static byte[] MoeModel(int tokens, int experts, int k, int hidden, int inter, string activation, int normalize,
        bool biases = true, bool rank3 = false, int seed = 7, AttributeProto[]? extra = null)
    {
        var b = new OnnxBuilder(16);
        b.Model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        if (rank3) b.Input("x", 1, tokens, hidden); else b.Input("x", tokens, hidden);
        b.Input("router", tokens, experts);
        var inputs = new List<string>
        {
            "x", "router",
            b.Initializer("fc1", new[] { experts, inter, hidden }, OrtReference.RandomFloats(experts * inter * hidden, seed, 0.3f)),
            biases ? b.Initializer("fc1_bias", new[] { experts, inter }, OrtReference.RandomFloats(experts * inter, seed + 1, 0.3f)) : "",
            b.Initializer("fc2", new[] { experts, hidden, inter }, OrtReference.RandomFloats(experts * hidden * inter, seed + 2, 0.3f)),
            biases ? b.Initializer("fc2_bias", new[] { experts, hidden }, OrtReference.RandomFloats(experts * hidden, seed + 3, 0.3f)) : "",
        };
        var attrs = new List<AttributeProto> { A.Int("k", k), A.Str("activation_type", activation), A.Int("normalize_routing_weights", normalize) };
        if (extra is not null) attrs.AddRange(extra);
        b.Node("MoE", inputs.ToArray(), new[] { "y" }, attrs.ToArray()).Output("y");
        b.Graph.Node.Last().Domain = "com.microsoft";
        return b.Build();
    }

    [Theory]
    [InlineData(1, 4, 2, "relu", 1)]
    [InlineData(1, 8, 1, "relu", 0)]
    [InlineData(5, 4, 2, "gelu", 0)]
    [InlineData(7, 8, 3, "silu", 1)]
    [InlineData(6, 16, 2, "identity", 1)]
    [InlineData(9, 3, 3, "relu", 0)]
    [InlineData(12, 32, 2, "gelu", 1)]
    public void MatchesOnnxRuntime(int tokens, int experts, int k, string activation, int normalize)
    {
        // hidden 24 and inter 40: neither a multiple of the 16-column panels, so the padded tails run too.
        var model = MoeModel(tokens, experts, k, 24, 40, activation, normalize);
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { tokens, 24 }), ("router", new[] { tokens, experts }) }, seed: tokens + experts, rtol: Rtol, atol: Atol, scale: 2f);
    }

    [Fact]
    public void WithoutBiasesAndWithThreeDimensionalInput()
    {
        var model = MoeModel(4, 6, 2, 32, 16, "relu", 1, biases: false, rank3: true);
        ModelCheck.AgainstOrt(model, new[] { ("x", new[] { 1, 4, 32 }), ("router", new[] { 4, 6 }) }, rtol: Rtol, atol: Atol, scale: 2f);
    }

    [Fact]
    public void AllocatesNothingPerCall()
    {
        var runner = GeneratorHarness.Compile(MoeModel(3, 8, 2, 24, 40, "silu", 1));
        Assert.Equal(0, runner.Allocations(new Array[] { OrtReference.RandomFloats(72, 1), OrtReference.RandomFloats(24, 2) }, 200));
    }

    [Theory]
    [InlineData(1, 4, 2, 256, 1030, "gelu", true)] // one token: each chosen expert's two layers split by output panels over two threads
    [InlineData(8, 6, 2, 129, 256, "silu", true)]  // token groups: the packed GEMM on each thread's columns
    [InlineData(3, 8, 2, 24, 40, "relu", false)]   // 11.5K MACs: not worth waking a worker, stays on the calling thread
    public void TwoThreadsMatchOnnxRuntimeAndAllocateNothing(int tokens, int experts, int k, int hidden, int inter, string activation, bool shared)
    {
        var model = MoeModel(tokens, experts, k, hidden, inter, activation, 1, seed: 5);
        var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", new EquatableArray<byte>(model), null),
            ModelOptions.Default("m.onnx") with { Threads = "2" }), System.Threading.CancellationToken.None);
        Assert.Equal(shared, result.Output.Sources[0].Text.Contains("threads: 2"));
        var metadata = new Dictionary<string, string> { ["Threads"] = "2" };
        var runner = ModelCheck.AgainstOrt(model, new[] { ("x", new[] { tokens, hidden }), ("router", new[] { tokens, experts }) }, seed: 3,
            rtol: Rtol, atol: Atol, scale: 2f, metadata: metadata);
        Assert.Equal(0, runner.Allocations(new Array[] { OrtReference.RandomFloats(tokens * hidden, 1), OrtReference.RandomFloats(tokens * experts, 2) }, 200));
    }

    [Fact]
    public void OnlyTheChosenExpertsCountInTheMacs()
    {
        var result = Compile(MoeModel(1, 32, 2, 24, 40, "relu", 1));
        Assert.Equal(2L * 2 * 24 * 40, result.Figures!.Macs);
    }

    [Theory]
    [InlineData("swiglu", 0, "swiglu")]
    [InlineData("relu", 1, "use_sparse_mixer")]
    public void UnsupportedConfigurationsAreRefusedWithEAI0450(string activation, int sparseMixer, string mention)
    {
        var model = MoeModel(2, 4, 2, 16, 16, activation, 0, extra: new[] { A.Int("use_sparse_mixer", sparseMixer) });
        var result = Compile(model);
        var d = Assert.Single(result.Output.Diagnostics);
        Assert.Equal("EAI0450", d.Id);
        Assert.Contains(mention, string.Join(" ", d.Arguments));
    }

    /// <summary>An MoE with activation_type=swiglu and swiglu_fusion=1: fc1 [E, 2 inter, hidden], its rows (linear, gate) interleaved.</summary>
    private static byte[] SwigluModel(int tokens, int experts, int k, int hidden, int inter, int normalize, float weightScale, AttributeProto[]? extra = null)
    {
        var b = new OnnxBuilder(16);
        b.Model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        b.Input("x", tokens, hidden).Input("router", tokens, experts);
        var inputs = new[]
        {
            "x", "router",
            b.Initializer("fc1", new[] { experts, 2 * inter, hidden }, OrtReference.RandomFloats(experts * 2 * inter * hidden, 21, weightScale)),
            b.Initializer("fc1_bias", new[] { experts, 2 * inter }, OrtReference.RandomFloats(experts * 2 * inter, 22, 0.3f)),
            b.Initializer("fc2", new[] { experts, hidden, inter }, OrtReference.RandomFloats(experts * hidden * inter, 23, 0.3f)),
            b.Initializer("fc2_bias", new[] { experts, hidden }, OrtReference.RandomFloats(experts * hidden, 24, 0.3f)),
        };
        var attrs = new List<AttributeProto> { A.Int("k", k), A.Str("activation_type", "swiglu"), A.Int("swiglu_fusion", 1), A.Int("normalize_routing_weights", normalize) };
        if (extra is not null) attrs.AddRange(extra);
        b.Node("MoE", inputs, new[] { "y" }, attrs.ToArray()).Output("y");
        b.Graph.Node.Last().Domain = "com.microsoft";
        return b.Build();
    }

    [Theory]
    [InlineData(1, 4, 2, 1, 0.3f, false)]
    [InlineData(5, 8, 2, 0, 0.3f, false)]
    [InlineData(7, 6, 3, 1, 2f, false)]   // pre-activations far beyond 7: no clamp by default
    [InlineData(7, 6, 3, 1, 2f, true)]    // gpt-oss's alpha 1.702, beta 1, limit 7: the clamp bites
    [InlineData(3, 5, 2, 0, 0.3f, true)]
    public void SwigluMatchesOnnxRuntime(int tokens, int experts, int k, int normalize, float weightScale, bool attributes)
    {
        var model = SwigluModel(tokens, experts, k, 24, 20, normalize, weightScale,
            attributes ? new[] { A.Float("activation_alpha", 1.702f), A.Float("activation_beta", 1f), A.Float("swiglu_limit", 7f) } : null);
        var runner = ModelCheck.AgainstOrt(model, new[] { ("x", new[] { tokens, 24 }), ("router", new[] { tokens, experts }) }, seed: tokens, rtol: Rtol, atol: Atol, scale: 2f);
        Assert.Equal(3L * tokens * k * 24 * 20, Compile(model).Figures!.Macs);
        Assert.Equal(0, runner.Allocations(new Array[] { OrtReference.RandomFloats(tokens * 24, 1), OrtReference.RandomFloats(tokens * experts, 2) }, 50));
    }

    [Fact]
    public void Fc3IsRefusedWithEAI0450()
    {
        // ONNX Runtime's CPU kernel: "FC3 is not implemented for CPU MoE".
        var b = new OnnxBuilder(16);
        b.Model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        b.Input("x", 2, 16).Input("router", 2, 4);
        b.Node("MoE", new[] { "x", "router", b.Initializer("fc1", new[] { 4, 8, 16 }, OrtReference.RandomFloats(512, 1)), "",
            b.Initializer("fc2", new[] { 4, 16, 8 }, OrtReference.RandomFloats(512, 2)), "",
            b.Initializer("fc3", new[] { 4, 8, 16 }, OrtReference.RandomFloats(512, 3)) }, new[] { "y" }, A.Int("k", 1), A.Str("activation_type", "silu")).Output("y");
        b.Graph.Node.Last().Domain = "com.microsoft";
        var d = Assert.Single(Compile(b.Build()).Output.Diagnostics);
        Assert.Equal("EAI0450", d.Id);
        Assert.Contains("fc3", string.Join(" ", d.Arguments));
    }

    [Fact]
    public void OldWeightLayoutIsAnInvalidNode()
    {
        // [E, in, out] fc1 weights (hidden 16, inter 8) pass ORT's check and give wrong results there; here a diagnostic.
        var b = new OnnxBuilder(16);
        b.Model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        b.Input("x", 2, 16).Input("router", 2, 4);
        b.Node("MoE", new[] { "x", "router", b.Initializer("fc1", new[] { 4, 16, 8 }, OrtReference.RandomFloats(512, 1)), "",
            b.Initializer("fc2", new[] { 4, 8, 16 }, OrtReference.RandomFloats(512, 2)) }, new[] { "y" }, A.Int("k", 1), A.Str("activation_type", "relu")).Output("y");
        b.Graph.Node.Last().Domain = "com.microsoft";
        var d = Assert.Single(Compile(b.Build()).Output.Diagnostics);
        Assert.Equal("EAI0203", d.Id);
        Assert.Contains("[experts, out, in]", string.Join(" ", d.Arguments));
    }

    internal static ModelCompiler.Result Compile(byte[] model, string dims = "") =>
        ModelCompiler.CompileDetailed(new Model.ModelRequest(new Model.ModelFile("m.onnx", model.ToEquatableArray(), null),
            ModelOptions.Default("m.onnx") with { Dims = dims }), default);

    internal static byte[] CommittedModel(string name) => File.ReadAllBytes(Path.Combine(Snapshot.RepoRoot(), "models", name));

    [Theory]
    [InlineData("moe_e4k2_contrib.onnx")]
    [InlineData("moe_e8k1_contrib.onnx")]
    public void CommittedContribModelsMatchOnnxRuntime(string file)
    {
        var model = CommittedModel(file);
        ModelCheck.AgainstOrt(model, new[] { ("input", new[] { 5, 64 }) }, rtol: Rtol, atol: Atol,
            metadata: new Dictionary<string, string> { ["Dims"] = "batch=5" });
    }

    [Fact]
    public void CommittedModelClassifiesTheHeldOutDigits()
    {
        var samples = File.ReadLines(Path.Combine(Snapshot.RepoRoot(), "models", "digits_test.csv")).Skip(1)
            .Select(l => l.Split(',').Select(int.Parse).ToArray()).ToArray();
        var runner = GeneratorHarness.Compile(CommittedModel("moe_e4k2_contrib.onnx"), new Dictionary<string, string> { ["Dims"] = "batch=1" });
        int correct = samples.Count(s =>
        {
            var logits = (float[])runner.Run(s.Skip(1).Select(p => p / 16f).ToArray())[0];
            return Array.IndexOf(logits, logits.Max()) == s[0];
        });
        // make_moe.py measured 96.94% (349/360) in PyTorch.
        Assert.True(correct >= 345, $"{correct}/{samples.Length}");
    }

    // MoeRecognition -------------------------------------------------------------------------------------------

    private static readonly Dictionary<string, string> Batch5 = new() { ["Dims"] = "batch=5" };

    [Theory]
    [InlineData("moe_e4k2_dense.onnx", 4, 2, 1L)]
    [InlineData("moe_e8k1_dense.onnx", 8, 1, 0L)]
    public void DenseExportBecomesOneMoENodeAndMatchesOnnxRuntimeOnTheOriginal(string file, int experts, int k, long normalize)
    {
        var model = CommittedModel(file);
        var result = Compile(model, "batch=5");
        Assert.DoesNotContain(result.Output.Diagnostics, d => d.Id != "EAI0005");
        var moe = Assert.Single(result.Graph!.Nodes, n => n.OpType == "MoE");
        Assert.Equal("com.microsoft", moe.Domain);
        Assert.Equal(k, moe.Attributes["k"].I);
        Assert.Equal(normalize, moe.Attributes["normalize_routing_weights"].I);
        Assert.Equal(new[] { experts, 12, 64 }, result.Graph.Values[moe.Inputs[2]].Shape);
        Assert.DoesNotContain(result.Graph.Nodes, n => n.OpType is "ScatterElements" or "TopK" or "Concat" or "Relu");
        // Only the chosen experts count: router 64 x E, k experts of 2 x 64 x 12, head 64 x 10, per token.
        Assert.Equal(5L * (64 * experts + k * 2 * 64 * 12 + 64 * 10), result.Figures!.Macs);
        ModelCheck.AgainstOrt(model, new[] { ("input", new[] { 5, 64 }) }, rtol: Rtol, atol: Atol, metadata: Batch5);
    }

    [Fact]
    public void DenseExportAgreesWithTheContribForm()
    {
        var input = OrtReference.RandomFloats(5 * 64, 3);
        var dense = (float[])GeneratorHarness.Compile(CommittedModel("moe_e4k2_dense.onnx"), Batch5, "dense.onnx").Run(input)[0];
        var contrib = (float[])GeneratorHarness.Compile(CommittedModel("moe_e4k2_contrib.onnx"), Batch5, "contrib.onnx").Run(input)[0];
        OrtReference.AssertClose(contrib, dense, Rtol, Atol, "dense vs contrib");
    }

    [Fact]
    public void RouterProbabilitiesReadOutsideTheLayerLeaveItAloneWithEAI0451()
    {
        var proto = ModelCompiler.Parse(CommittedModel("moe_e4k2_dense.onnx"));
        var softmax = proto.Graph.Node.Single(n => n.OpType == "Softmax");
        proto.Graph.Output.Add(OnnxBuilder.ValueInfo(softmax.Output[0], 1, new object[] { "batch", 4 }));
        var model = Google.Protobuf.MessageExtensions.ToByteArray(proto);
        var result = Compile(model, "batch=5");
        var note = Assert.Single(result.Output.Diagnostics, d => d.Id == "EAI0451");
        Assert.Contains("read outside", string.Join(" ", note.Arguments));
        Assert.DoesNotContain(result.Graph!.Nodes, n => n.OpType == "MoE");
        ModelCheck.AgainstOrt(model, new[] { ("input", new[] { 5, 64 }) }, rtol: Rtol, atol: Atol, metadata: Batch5);
    }

    [Fact]
    public void SmallestTopKIsANearMiss()
    {
        var proto = ModelCompiler.Parse(CommittedModel("moe_e4k2_dense.onnx"));
        proto.Graph.Node.Single(n => n.OpType == "TopK").Attribute.Single(a => a.Name == "largest").I = 0;
        var result = Compile(Google.Protobuf.MessageExtensions.ToByteArray(proto), "batch=2");
        var note = Assert.Single(result.Output.Diagnostics, d => d.Id == "EAI0451");
        Assert.Contains("TopK does not take the largest", string.Join(" ", note.Arguments));
        Assert.DoesNotContain(result.Graph!.Nodes, n => n.OpType == "MoE");
    }

    [Fact]
    public void DisabledRecognitionKeepsTheDenseGraph()
    {
        var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", CommittedModel("moe_e4k2_dense.onnx").ToEquatableArray(), null),
            ModelOptions.Default("m.onnx") with { Dims = "batch=1", DisabledPasses = "MoeRecognition" }), default);
        Assert.DoesNotContain(result.Graph!.Nodes, n => n.OpType == "MoE");
        Assert.Contains(result.Graph.Nodes, n => n.OpType == "ScatterElements");
    }

    [Theory]
    [InlineData("moe_e4k2_sparse.onnx", 2, 1L)]
    [InlineData("moe_e8k1_sparse.onnx", 1, 0L)]
    [InlineData("moe_e4k2_onehot.onnx", 2, 1L)]
    [InlineData("moe_e4k2_scripted.onnx", 2, 1L)]
    public void SparseExportBecomesOneMoENodeAndMatchesOnnxRuntimeOnTheOriginal(string file, int k, long normalize)
    {
        var model = CommittedModel(file);
        var result = Compile(model, "batch=5");
        Assert.DoesNotContain(result.Output.Diagnostics, d => d.Id != "EAI0005");
        var moe = Assert.Single(result.Graph!.Nodes, n => n.OpType == "MoE");
        Assert.Equal(k, moe.Attributes["k"].I);
        Assert.Equal(normalize, moe.Attributes["normalize_routing_weights"].I);
        Assert.DoesNotContain(result.Graph.Nodes, n => n.OpType is "NonZero" or "ScatterElements" or "Gather" or "TopK" or "OneHot" or "If" or "Greater");
        Assert.DoesNotContain(result.Graph.Nodes, n => n.Guards.Count > 0);
        ModelCheck.AgainstOrt(model, new[] { ("input", new[] { 5, 64 }) }, rtol: Rtol, atol: Atol, metadata: Batch5);
        // One token too (the shape plumbing differs: the probe then runs on a single token).
        ModelCheck.AgainstOrt(model, new[] { ("input", new[] { 1, 64 }) }, seed: 9, rtol: Rtol, atol: Atol, metadata: new Dictionary<string, string> { ["Dims"] = "batch=1" });
    }

    [Fact]
    public void AnExpertCountedTwiceInTheSparseFormIsANearMiss()
    {
        var proto = ModelCompiler.Parse(CommittedModel("moe_e4k2_sparse.onnx"));
        // The second expert's Equal compares with 0 as well: expert 0 twice, expert 1 never.
        var equal = proto.Graph.Node.Where(n => n.OpType == "Equal").ElementAt(1);
        var constant = proto.Graph.Node.Single(n => n.Output.Contains(equal.Input[1]));
        constant.Attribute[0].T = new TensorProto { DataType = 7, RawData = Google.Protobuf.ByteString.CopyFrom(new byte[8]) }; // int64 scalar 0
        var result = Compile(Google.Protobuf.MessageExtensions.ToByteArray(proto), "batch=2");
        var note = Assert.Single(result.Output.Diagnostics, d => d.Id == "EAI0451");
        Assert.Contains("expert 0 appears twice", string.Join(" ", note.Arguments));
        // Left alone, the sparse form's NonZero then has no static shape.
        Assert.Contains(result.Output.Diagnostics, d => d.Id == "EAI0204");
    }

    [Fact]
    public void ASparseLayerThatComputesSomethingElseFailsTheProbe()
    {
        var proto = ModelCompiler.Parse(CommittedModel("moe_e4k2_sparse.onnx"));
        // The running total starts at ones instead of zeros: the structure matches, the function does not.
        var zeros = proto.Graph.Node.First(n => n.OpType == "ConstantOfShape");
        zeros.Attribute.Single(a => a.Name == "value").T = OnnxBuilder.FloatTensor("one", new[] { 1 }, new[] { 1f });
        var result = Compile(Google.Protobuf.MessageExtensions.ToByteArray(proto), "batch=3");
        var note = Assert.Single(result.Output.Diagnostics, d => d.Id == "EAI0451");
        Assert.Contains("on a probe input it computes", string.Join(" ", note.Arguments));
        Assert.DoesNotContain(result.Graph!.Nodes, n => n.OpType == "MoE");
    }

    [Theory]
    [InlineData("moe_gelu_dense.onnx", "gelu_erf")]       // Div -> Erf -> Add -> Mul -> Mul between MatMul experts without bias
    [InlineData("moe_gelu_sparse.onnx", "gelu_erf")]
    [InlineData("moe_gelu_scripted.onnx", "gelu_erf")]
    [InlineData("moe_silu_dense.onnx", "silu")]           // x * Sigmoid(x) between MatMul -> Add experts
    [InlineData("moe_silu_sparse.onnx", "silu")]
    [InlineData("moe_silu_scripted.onnx", "silu")]
    [InlineData("moe_gelutanh_dense.onnx", "gelu")]       // the tanh approximation written out (x * (x * x)): ORT's MoE gelu
    [InlineData("moe_gelutanh_sparse.onnx", "gelu")]
    [InlineData("moe_gelutanh_scripted.onnx", "gelu")]
    [InlineData("moe_swiglu_dense.onnx", "swiglu")]       // Mixtral's w2(silu(w1 x) * w3 x), bias-free MatMuls
    [InlineData("moe_swiglu_sparse.onnx", "swiglu")]
    [InlineData("moe_swiglu_scripted.onnx", "swiglu")]
    public void ExportedActivationsAndMatMulExpertsBecomeOneMoENode(string file, string activation)
    {
        // Untrained variants (make_moe.py --variants): E = 4, k = 2, hidden 16, inter 24, normalized.
        var model = CommittedModel(file);
        var result = Compile(model, "batch=5");
        Assert.DoesNotContain(result.Output.Diagnostics, d => d.Id != "EAI0005");
        var moe = Assert.Single(result.Graph!.Nodes, n => n.OpType == "MoE");
        // An erf GELU is never ORT's tanh-approximated gelu: it keeps its exact form.
        Assert.Equal(activation, moe.Attributes["activation_type"].S.ToStringUtf8());
        Assert.DoesNotContain(result.Graph.Nodes, n => n.OpType is "Erf" or "Tanh" or "Sigmoid" or "NonZero" or "If" or "ScatterElements");
        ModelCheck.AgainstOrt(model, new[] { ("input", new[] { 5, 16 }) }, rtol: Rtol, atol: Atol, metadata: Batch5, scale: 2f);
        ModelCheck.AgainstOrt(model, new[] { ("input", new[] { 1, 16 }) }, seed: 4, rtol: Rtol, atol: Atol, metadata: new Dictionary<string, string> { ["Dims"] = "batch=1" }, scale: 2f);
    }

    [Theory]
    [InlineData("moe_seq_sparse.onnx")]
    [InlineData("moe_seq_scripted.onnx")]
    public void SparseLayerOnFlattenedSequenceBecomesOneMoENode(string file)
    {
        // x [batch, seq, 16] reshaped to [-1, 16] inside the graph (the Reshape's shape from Shape ops): the tokens are no
        // graph input, their shape is found by evaluating the Reshape's inputs.
        var model = CommittedModel(file);
        foreach (var (batch, seq, seed) in new[] { (2, 3, 1), (1, 1, 2), (1, 7, 3) })
        {
            var dims = $"batch={batch}|seq={seq}";
            var result = Compile(model, dims);
            var unexpected = result.Output.Diagnostics.Where(d => d.Id != "EAI0005").Select(d => d.Id + ": " + string.Join(" ", d.Arguments)).ToList();
            Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
            Assert.Single(result.Graph!.Nodes, n => n.OpType == "MoE");
            Assert.DoesNotContain(result.Graph.Nodes, n => n.OpType is "NonZero" or "If" or "ScatterElements");
            ModelCheck.AgainstOrt(model, new[] { ("input", new[] { batch, seq, 16 }) }, seed: seed, rtol: Rtol, atol: Atol,
                metadata: new Dictionary<string, string> { ["Dims"] = dims }, scale: 2f);
        }
    }

    [Fact]
    public void AScriptedLayerWhoseConditionSkipsAnExpertFailsTheProbe()
    {
        // Expert 2's If runs its branch only for more than 5 tokens: with 3 tokens it never runs, so the layer is not a
        // mixture of experts; the probes evaluate the real conditions and see it. Left alone, the If stays closed.
        var proto = ModelCompiler.Parse(CommittedModel("moe_e4k2_scripted.onnx"));
        var greater = proto.Graph.Node.Where(n => n.OpType == "Greater").ElementAt(2);
        var threshold = proto.Graph.Node.Single(n => n.Output.Contains(greater.Input[1]));
        threshold.Attribute[0].T = new TensorProto { DataType = 7, RawData = Google.Protobuf.ByteString.CopyFrom(BitConverter.GetBytes(5L)) };
        var result = Compile(Google.Protobuf.MessageExtensions.ToByteArray(proto), "batch=3");
        var note = Assert.Single(result.Output.Diagnostics, d => d.Id == "EAI0451");
        Assert.Contains("on a probe input it computes", string.Join(" ", note.Arguments));
        Assert.DoesNotContain(result.Graph!.Nodes, n => n.OpType == "MoE");
    }

    // Quantize="int8" ---------------------------------------------------------------------------------------------

    private static Dictionary<string, string> Int8(string dims) => new() { ["Dims"] = dims, ["Quantize"] = "int8" };

    [Fact]
    public void Int8ExpertsStayCloseToOnnxRuntimeInFloat()
    {
        var model = MoeModel(6, 8, 2, 48, 64, "gelu", 1);
        var runner = GeneratorHarness.Compile(model, new Dictionary<string, string> { ["Quantize"] = "int8" }, "moe_int8.onnx");
        float[] x = OrtReference.RandomFloats(6 * 48, 5, 2f), router = OrtReference.RandomFloats(6 * 8, 6, 2f);
        var expected = (float[])OrtReference.Run(model, new (string, Array, int[])[] { ("x", x, new[] { 6, 48 }), ("router", router, new[] { 6, 8 }) })[0];
        var actual = (float[])runner.Run(x, router)[0];
        // Dynamic uint8 activations and int8 weights: error relative to the output's RMS, not per element.
        double rms = Math.Sqrt(expected.Average(v => (double)v * v));
        double errRms = Math.Sqrt(expected.Zip(actual, (e, a) => (double)(e - a) * (e - a)).Average());
        Assert.True(errRms < 0.02 * rms, $"int8 error RMS {errRms:G3} vs output RMS {rms:G3}");
        Assert.Equal(0, runner.Allocations(new Array[] { x, router }, 100));
    }

    [Theory]
    [InlineData("moe_gelu_sparse.onnx")]      // recognized erf GELU: gelu_erf on int8 experts
    [InlineData("moe_silu_scripted.onnx")]
    public void RecognizedExportsRunOnInt8Experts(string file)
    {
        var model = CommittedModel(file);
        var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", model.ToEquatableArray(), null),
            ModelOptions.Default("m.onnx") with { Dims = "batch=6", Quantize = "int8" }), default);
        Assert.Single(result.Graph!.Nodes, n => n.OpType == "QuantizedMoE");
        var runner = GeneratorHarness.Compile(model, Int8("batch=6"), "moe_int8_" + Path.GetFileNameWithoutExtension(file) + ".onnx");
        var x = OrtReference.RandomFloats(6 * 16, 8, 2f);
        var expected = (float[])OrtReference.Run(model, new (string, Array, int[])[] { ("input", x, new[] { 6, 16 }) })[0];
        var actual = (float[])runner.Run(x)[0];
        double rms = Math.Sqrt(expected.Average(v => (double)v * v));
        double errRms = Math.Sqrt(expected.Zip(actual, (e, a) => (double)(e - a) * (e - a)).Average());
        Assert.True(errRms < 0.02 * rms, $"int8 error RMS {errRms:G3} vs output RMS {rms:G3}");
    }

    [Fact]
    public void Int8DigitsMoEKeepsItsAccuracyAndReportsEachExpertsRom()
    {
        var samples = File.ReadLines(Path.Combine(Snapshot.RepoRoot(), "models", "digits_test.csv")).Skip(1)
            .Select(l => l.Split(',').Select(int.Parse).ToArray()).ToArray();
        int Correct(CompiledModelRunner r) => samples.Count(s =>
        {
            var logits = (float[])r.Run(s.Skip(1).Select(p => p / 16f).ToArray())[0];
            return Array.IndexOf(logits, logits.Max()) == s[0];
        });
        var model = CommittedModel("moe_e4k2_contrib.onnx");
        int floatCorrect = Correct(GeneratorHarness.Compile(model, new Dictionary<string, string> { ["Dims"] = "batch=1" }, "moe_float.onnx"));
        int int8Correct = Correct(GeneratorHarness.Compile(model, Int8("batch=1"), "moe_int8_digits.onnx"));
        Assert.True(int8Correct >= floatCorrect - 2, $"int8 {int8Correct}/{samples.Length}, float {floatCorrect}/{samples.Length}");

        var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", model.ToEquatableArray(), null),
            ModelOptions.Default("m.onnx") with { Dims = "batch=1", Quantize = "int8" }), default);
        Assert.Single(result.Graph!.Nodes, n => n.OpType == "QuantizedMoE");
        var experts = result.Report!.Quantization.Where(q => q.OpType == "MoE expert").ToList();
        Assert.Equal(4, experts.Count);
        Assert.All(experts, q => Assert.Contains("B ROM per expert (float 6,448 B)", q.Reason));
        var floatResult = Compile(model, "batch=1");
        Assert.True(result.Figures!.WeightBytes < floatResult.Figures!.WeightBytes * 0.6, $"int8 {result.Figures.WeightBytes} B, float {floatResult.Figures.WeightBytes} B");
    }

    // com.microsoft::QMoE -----------------------------------------------------------------------------------------

    private static byte[] QMoeModel(int tokens, int experts, int k, int hidden, int inter, int bits, string activation, int normalize)
    {
        var b = new OnnxBuilder(16);
        b.Model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        b.Input("x", tokens, hidden).Input("router", tokens, experts);
        var rng = new Random(bits * 10 + experts);
        string Bytes(string name, params int[] shape)
        {
            var data = new byte[shape.Aggregate(1, (a, c) => a * c)];
            rng.NextBytes(data);
            var t = new TensorProto { Name = name, DataType = 2, RawData = Google.Protobuf.ByteString.CopyFrom(data) };
            t.Dims.AddRange(shape.Select(d => (long)d));
            b.Graph.Initializer.Add(t);
            return name;
        }
        int pack = 8 / bits;
        var inputs = new[]
        {
            "x", "router",
            Bytes("fc1", experts, inter, hidden / pack),
            b.Initializer("fc1_scales", new[] { experts, inter }, OrtReference.RandomFloats(experts * inter, 3, 0.02f).Select(Math.Abs).ToArray()),
            b.Initializer("fc1_bias", new[] { experts, inter }, OrtReference.RandomFloats(experts * inter, 4, 0.3f)),
            Bytes("fc2", experts, hidden, inter / pack),
            b.Initializer("fc2_scales", new[] { experts, hidden }, OrtReference.RandomFloats(experts * hidden, 5, 0.02f).Select(Math.Abs).ToArray()),
            b.Initializer("fc2_bias", new[] { experts, hidden }, OrtReference.RandomFloats(experts * hidden, 6, 0.3f)),
        };
        b.Node("QMoE", inputs, new[] { "y" }, A.Int("k", k), A.Str("activation_type", activation), A.Int("normalize_routing_weights", normalize),
            A.Int("expert_weight_bits", bits)).Output("y");
        b.Graph.Node.Last().Domain = "com.microsoft";
        return b.Build();
    }

    // QMoE runs on int8 experts: the weights are ORT's exactly, but each expert quantizes its input (and fc2's input) to
    // uint8 per call, where ORT multiplies float activations by the dequantized weights. Measured error RMS 0.16-0.65% of
    // the output's RMS on these cases; the bound is 1.5%.
    private const double QMoeErrorRms = 0.015;

    [Theory]
    [InlineData(3, 8, 2, 32, 48, 8, "relu", 1)]
    [InlineData(1, 4, 1, 16, 32, 8, "identity", 0)]
    [InlineData(4, 8, 2, 16, 32, 8, "silu", 0)]
    [InlineData(5, 6, 2, 32, 16, 4, "gelu", 1)]
    [InlineData(2, 5, 2, 24, 40, 8, "gelu", 0)]   // hidden and inter not multiples of the 16-column panels
    [InlineData(16, 8, 2, 64, 96, 8, "relu", 1)]  // a token group per expert: one int8 GEMM of several rows
    public void QMoEMatchesOnnxRuntime(int tokens, int experts, int k, int hidden, int inter, int bits, string activation, int normalize)
    {
        var model = QMoeModel(tokens, experts, k, hidden, inter, bits, activation, normalize);
        var runner = GeneratorHarness.Compile(model, new Dictionary<string, string>(), $"qmoe_t{tokens}_e{experts}_{bits}_{activation}.onnx");
        float[] x = OrtReference.RandomFloats(tokens * hidden, tokens + experts, 2f), router = OrtReference.RandomFloats(tokens * experts, 99, 2f);
        var expected = (float[])OrtReference.Run(model, new (string, Array, int[])[] { ("x", x, new[] { tokens, hidden }), ("router", router, new[] { tokens, experts }) })[0];
        var actual = (float[])runner.Run(x, router)[0];
        double rms = Math.Sqrt(expected.Average(v => (double)v * v));
        double errRms = Math.Sqrt(expected.Zip(actual, (e, a) => (double)(e - a) * (e - a)).Average());
        Assert.True(rms > 0 && errRms < QMoeErrorRms * rms, $"QMoE int8 error RMS {errRms:G3} vs output RMS {rms:G3} ({errRms / rms:P2})");
    }

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    public void QMoEExpertsAreTheStoredIntegers(int bits)
    {
        // No second rounding: the int8 experts hold q - 128 (8-bit; 0 -> -128 included) or each nibble - 8 (4-bit), and
        // ORT's scales unchanged, so both engines multiply by the same weights.
        const int experts = 3, hidden = 16, inter = 32;
        var model = QMoeModel(2, experts, 2, hidden, inter, bits, "relu", 1);
        var result = Compile(model);
        Assert.DoesNotContain(result.Output.Diagnostics, d => d.Id != "EAI0005");
        var moe = Assert.Single(result.Graph!.Nodes, n => n.OpType == "QuantizedMoE");
        Assert.DoesNotContain(result.Graph.Nodes, n => n.OpType == "MoE");
        var proto = ModelCompiler.Parse(model);
        byte[] Raw(string name) => proto.Graph.Initializer.Single(t => t.Name == name).RawData.ToByteArray();
        float[] Floats(string name) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Raw(name)).ToArray();
        foreach (var (input, scales, raw, rows, depth) in new[] { (2, 3, "fc1", inter, hidden), (5, 6, "fc2", hidden, inter) })
        {
            var stored = Raw(raw);
            var expected = new sbyte[experts * rows * depth];
            for (int i = 0; i < expected.Length; i++)
                expected[i] = (sbyte)(bits == 8 ? stored[i] - 128 : ((i % 2 == 0 ? stored[i / 2] & 0xF : stored[i / 2] >> 4) - 8));
            Assert.Equal(expected, (sbyte[])result.Graph.Values[moe.Inputs[input]].Constant!.Data);
            Assert.Equal(new[] { experts, rows, depth }, result.Graph.Values[moe.Inputs[input]].Shape);
            var scaleValues = result.Graph.Values[moe.Inputs[scales]].Constant!.ToFloats();
            Assert.Equal(Floats(raw + "_scales"), scaleValues);
            if (bits == 8) Assert.Contains((sbyte)-128, expected);
        }
    }

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    public void QMoEReportsEachExpertsRomBitsAndScales(int bits)
    {
        // As Quantize="int8" reports an MoE's experts: one row per expert with its ROM as compiled, as stored and as float,
        // the bit width and that expert's scales; the weights are the stored integers, so their SQNR is exact.
        const int experts = 3, hidden = 16, inter = 40;
        var model = QMoeModel(2, experts, 2, hidden, inter, bits, "relu", 1);
        var result = Compile(model);
        var rows = result.Report!.Quantization.Where(q => q.OpType == "QMoE expert").ToList();
        Assert.Equal(Enumerable.Range(0, experts).Select(e => $"expert {e}"), rows.Select(r => r.Node.Substring(r.Node.Length - 8)));
        // Compiled: panels of 16 columns (fc1 16 x 40 -> 16 x 48 bytes, fc2 40 x 16 -> 40 x 16), column sums and float scales
        // (4 B each per output row, 56 rows), biases (4 B per row); stored: the packed bits, float scales and biases.
        long compiled = 16 * 48 + 40 * 16 + 8 * 56 + 4 * 56, stored = 2 * 16 * 40 * bits / 8 + 4 * 56 + 4 * 56, asFloat = 4 * (2 * 16 * 40 + 56);
        string N(long v) => v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        var proto = ModelCompiler.Parse(model);
        float[] Floats(string name) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(
            proto.Graph.Initializer.Single(t => t.Name == name).RawData.ToByteArray()).ToArray();
        float[] fc1Scales = Floats("fc1_scales"), fc2Scales = Floats("fc2_scales");
        for (int e = 0; e < experts; e++)
        {
            var row = rows[e];
            Assert.True(row.Quantized);
            Assert.Contains($"QMoE {bits}-bit fc1 + fc2 run as int8", row.Reason);
            Assert.Contains($"{N(compiled)} B ROM per expert (stored {N(stored)} B, float {N(asFloat)} B)", row.Reason);
            var scales = fc1Scales.Skip(e * inter).Take(inter).Concat(fc2Scales.Skip(e * hidden).Take(hidden)).ToArray();
            Assert.Equal(inter + hidden, row.Channels);
            Assert.Equal(scales.Min(), row.MinWeightScale);
            Assert.Equal(scales.Max(), row.MaxWeightScale);
            Assert.True(double.IsPositiveInfinity(row.WeightSqnrDb));
        }
        // The rows add up to the layer's embedded weights, and the rendered report has them.
        Assert.Equal(experts * compiled, result.Figures!.WeightBytes);
        var markdown = result.Report.ToMarkdown();
        Assert.Contains("## Quantization", markdown);
        Assert.Contains($"expert 2 | QMoE expert | int8 | ", markdown);
        Assert.Contains(" | exact | ", markdown);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    public void CommittedQMoEModelsMatchOnnxRuntimeOnTheHeldOutDigits(int bits)
    {
        // moe_e4k2_qmoe{8,4}.onnx (make_moe.py --qmoe): the trained E=4 k=2 classifier with its experts as QMoE. Ours and
        // ONNX Runtime on all 360 held-out samples in one call: the same weights, our activations quantized per call.
        var samples = File.ReadLines(Path.Combine(Snapshot.RepoRoot(), "models", "digits_test.csv")).Skip(1)
            .Select(l => l.Split(',').Select(int.Parse).ToArray()).ToArray();
        int n = samples.Length;
        var input = samples.SelectMany(s => s.Skip(1).Select(p => p / 16f)).ToArray();
        var model = CommittedModel($"moe_e4k2_qmoe{bits}.onnx");
        var expected = (float[])OrtReference.Run(model, new (string, Array, int[])[] { ("input", input, new[] { n, 64 }) })[0];
        var runner = GeneratorHarness.Compile(model, new Dictionary<string, string> { ["Dims"] = $"batch={n}" }, $"moe_e4k2_qmoe{bits}.onnx");
        var actual = (float[])runner.Run(input)[0];
        double rms = Math.Sqrt(expected.Average(v => (double)v * v));
        double errRms = Math.Sqrt(expected.Zip(actual, (e, a) => (double)(e - a) * (e - a)).Average());
        Assert.True(errRms < QMoeErrorRms * rms, $"logits error RMS {errRms:G3} vs RMS {rms:G3} ({errRms / rms:P2})");
        int Correct(float[] logits) => Enumerable.Range(0, n).Count(i =>
        {
            var row = logits.AsSpan(i * 10, 10).ToArray();
            return Array.IndexOf(row, row.Max()) == samples[i][0];
        });
        int ours = Correct(actual), ort = Correct(expected);
        Assert.True(Math.Abs(ours - ort) <= 2 && ort >= 340, $"held-out accuracy: ours {ours}/{n}, ONNX Runtime {ort}/{n}");
        var rows = Compile(model, "batch=1").Report!.Quantization.Where(q => q.OpType == "QMoE expert").ToList();
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Contains($"QMoE {bits}-bit fc1 + fc2 run as int8", r.Reason));
    }

    [Fact]
    public void QMoEAllocatesNothingPerCall()
    {
        var runner = GeneratorHarness.Compile(QMoeModel(3, 8, 2, 32, 48, 8, "silu", 1), new Dictionary<string, string>(), "qmoe_alloc.onnx");
        Assert.Equal(0, runner.Allocations(new Array[] { OrtReference.RandomFloats(3 * 32, 1), OrtReference.RandomFloats(3 * 8, 2) }, 200));
    }

    [Fact]
    public void DenseExportCombinedByEinsumBecomesOneMoENode()
    {
        // The dense form with its combination written as Einsum("te,teh->th", gate, stacked) instead of Unsqueeze -> Mul -> ReduceSum.
        var proto = ModelCompiler.Parse(CommittedModel("moe_e4k2_dense.onnx"));
        var nodes = proto.Graph.Node;
        var mul = nodes.Single(n => n.OpType == "Mul");
        var reduce = nodes.Single(n => n.OpType == "ReduceSum" && n.Input[0] == mul.Output[0]);
        var unsqueeze = nodes.Single(n => n.OpType == "Unsqueeze" && mul.Input.Contains(n.Output[0]));
        var gate = unsqueeze.Input[0];
        var stacked = mul.Input.Single(i => i != unsqueeze.Output[0]);
        int at = nodes.IndexOf(reduce);
        var einsum = new NodeProto { OpType = "Einsum", Name = "combine" };
        einsum.Input.Add(gate);
        einsum.Input.Add(stacked);
        einsum.Output.Add(reduce.Output[0]);
        einsum.Attribute.Add(A.Str("equation", "te,teh->th"));
        nodes.Insert(at, einsum);
        nodes.Remove(mul);
        nodes.Remove(reduce);
        nodes.Remove(unsqueeze);
        var model = Google.Protobuf.MessageExtensions.ToByteArray(proto);
        var result = Compile(model, "batch=5");
        Assert.DoesNotContain(result.Output.Diagnostics, d => d.Id != "EAI0005");
        Assert.Single(result.Graph!.Nodes, n => n.OpType == "MoE");
        Assert.DoesNotContain(result.Graph.Nodes, n => n.OpType is "Einsum" or "ScatterElements");
        ModelCheck.AgainstOrt(model, new[] { ("input", new[] { 5, 64 }) }, rtol: Rtol, atol: Atol, metadata: Batch5);
    }
}
