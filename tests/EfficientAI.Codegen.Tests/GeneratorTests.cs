using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Behaviour of the generator as a Roslyn component: caching, diagnostics, determinism, the generated API.</summary>
public class GeneratorTests
{
    internal static byte[] TinyMlp(int hidden = 8, int seed = 1)
    {
        var b = new OnnxBuilder(13).Input("input", 1, 16);
        b.Initializer("w1", new[] { 16, hidden }, OrtReference.RandomFloats(16 * hidden, seed, 0.5f));
        b.Initializer("b1", new[] { hidden }, OrtReference.RandomFloats(hidden, seed + 1, 0.5f));
        b.Initializer("w2", new[] { hidden, 4 }, OrtReference.RandomFloats(hidden * 4, seed + 2, 0.5f));
        b.Node("Gemm", new[] { "input", "w1", "b1" }, new[] { "h" }).Node("Relu", "h", "r");
        b.Node("MatMul", new[] { "r", "w2" }, new[] { "logits" }).Node("Softmax", "logits", "probs", A.Int("axis", -1));
        return b.Output("probs").Build();
    }

    internal static byte[] TinyCnn()
    {
        var b = new OnnxBuilder(13).Input("image", 1, 1, 6, 6);
        b.Initializer("w", new[] { 2, 1, 3, 3 }, OrtReference.RandomFloats(18, 5, 0.5f));
        b.Initializer("bias", new[] { 2 }, new[] { 0.1f, -0.2f });
        b.Node("Conv", new[] { "image", "w", "bias" }, new[] { "c" }, A.Ints("pads", 1, 1, 1, 1)).Node("Relu", "c", "r");
        b.Node("MaxPool", "r", "p", A.Ints("kernel_shape", 2, 2), A.Ints("strides", 2, 2)).Node("Flatten", "p", "features");
        return b.Output("features").Build();
    }

    private static string Generated(byte[] model, Dictionary<string, string>? metadata = null, string fileName = "model.onnx")
    {
        var (output, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(model, fileName), metadata);
        Assert.DoesNotContain(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        return string.Join("\n// ---- next file ----\n", output.SyntaxTrees.Skip(0).Select(t => t.ToString()));
    }

    [Fact]
    public void SnapshotTinyMlp() => Snapshot.Verify(Generated(TinyMlp(), new() { ["ClassName"] = "TinyMlp", ["Namespace"] = "Snapshots" }), "TinyMlp");

    [Fact]
    public void SnapshotTinyCnn() => Snapshot.Verify(Generated(TinyCnn(), new() { ["ClassName"] = "TinyCnn", ["Namespace"] = "Snapshots" }), "TinyCnn");

    [Fact]
    public void SnapshotHostileNames()
    {
        // Names are untrusted: they must not break out of comments, strings or identifiers.
        var b = new OnnxBuilder(13).Input("in */ class X { } /*\n#error", 1, 4).Node("Relu", "in */ class X { } /*\n#error", "class").Output("class");
        Snapshot.Verify(Generated(b.Build(), new() { ["ClassName"] = "Hostile", ["Namespace"] = "Snapshots" }), "HostileNames");
        var x = OrtReference.RandomFloats(4, 1);
        Assert.Equal(x.Select(v => Math.Max(v, 0f)).ToArray(), (float[])GeneratorHarness.Compile(b.Build()).Run(x)[0]);
    }

    [Fact]
    public void SameBytesUnderEveryCulture()
    {
        var model = TinyCnn();
        var baseline = Generated(model);
        var saved = CultureInfo.CurrentCulture;
        try
        {
            foreach (var name in new[] { "tr-TR", "fa-IR", "de-DE", "ar-SA" })
            {
                var culture = (CultureInfo)CultureInfo.GetCultureInfo(name).Clone();
                culture.NumberFormat.NegativeSign = "\u2212";
                CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = culture;
                Assert.Equal(baseline, Generated(model));
            }
        }
        finally
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = saved;
        }
    }

    [Fact]
    public void UnrelatedEditIsCachedAndModelEditRecompiles()
    {
        var dir = Directory.CreateTempSubdirectory("eai-incr-").FullName;
        var path = Path.Combine(dir, "tiny.onnx");
        File.WriteAllBytes(path, TinyMlp(8, 1));
        var provider = new TestOptionsProvider(new() { [path] = new() });
        var text = new FileText(path);
        GeneratorDriver driver = GeneratorHarness.Driver(new[] { text }, provider, trackSteps: true);
        var compilation = GeneratorHarness.BaseCompilation("class A { }");
        driver = driver.RunGenerators(compilation);

        // An unrelated C# edit: every step is cached.
        driver = driver.RunGenerators(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class B { }")));
        var steps = driver.GetRunResult().Results[0].TrackedSteps;
        foreach (var step in new[] { ModelGenerator.ReadModelStep, ModelGenerator.ModelOptionsStep, ModelGenerator.CompileModelStep })
            Assert.All(steps[step].SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));

        // The model changes on disk and the compiler hands over a new AdditionalText: it is re-read and recompiled.
        File.WriteAllBytes(path, TinyMlp(12, 2));
        driver = driver.ReplaceAdditionalText(text, new FileText(path)).RunGenerators(compilation);
        steps = driver.GetRunResult().Results[0].TrackedSteps;
        Assert.Contains(steps[ModelGenerator.CompileModelStep].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("12", driver.GetRunResult().GeneratedTrees.First().ToString());
    }

    [Fact]
    public void ItemMetadataIsFoundWhenTheCompilerKeysOptionsByInstance()
    {
        // Roslyn's own options provider finds a file's metadata only for the very AdditionalText it handed out
        // (a look-up by path finds nothing); the path-keyed TestOptionsProvider would hide that.
        var dir = Directory.CreateTempSubdirectory("eai-meta-").FullName;
        var path = Path.Combine(dir, "tiny.onnx");
        File.WriteAllBytes(path, TinyMlp(8, 1));
        var text = new FileText(path);
        var byPath = new TestOptionsProvider(new() { [path] = new() { ["ClassName"] = "Renamed", ["Namespace"] = "Elsewhere" } });
        var driver = GeneratorHarness.Driver(new[] { text }, new InstanceKeyedOptions(text, byPath))
            .RunGenerators(GeneratorHarness.BaseCompilation("class A { }"));
        var source = driver.GetRunResult().GeneratedTrees.First().ToString();
        Assert.Contains("namespace Elsewhere", source);
        Assert.Contains("class Renamed", source);
    }

    private sealed class InstanceKeyedOptions : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider
    {
        private readonly AdditionalText _text;
        private readonly TestOptionsProvider _inner;
        public InstanceKeyedOptions(AdditionalText text, TestOptionsProvider inner) { _text = text; _inner = inner; }
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GlobalOptions => _inner.GlobalOptions;
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(SyntaxTree tree) => TestOptionsProvider.Options.Empty;
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
            ReferenceEquals(textFile, _text) ? _inner.GetOptions(textFile) : TestOptionsProvider.Options.Empty;
    }

    [Fact]
    public void PipelineModelsHoldNoRoslynObjects()
    {
        // Models must compare by value; a symbol, syntax node or compilation inside would break caching.
        foreach (var type in new[] { typeof(Model.ModelFile), typeof(Model.ModelRequest), typeof(Model.CompiledModel), typeof(Model.GeneratedSource), typeof(Model.DiagnosticInfo), typeof(ModelOptions) })
            foreach (var p in type.GetProperties())
                Assert.False(typeof(ISymbol).IsAssignableFrom(p.PropertyType) || typeof(SyntaxNode).IsAssignableFrom(p.PropertyType) || typeof(Compilation).IsAssignableFrom(p.PropertyType)
                    || p.PropertyType == typeof(AdditionalText), $"{type.Name}.{p.Name}");
    }

    [Fact]
    public void InferAllocatesNothingAfterWarmUp()
    {
        var runner = GeneratorHarness.Compile(TinyCnn());
        var input = new Array[] { OrtReference.RandomFloats(36, 3) };
        Assert.Equal(0, runner.Allocations(input, 1000));
    }

    [Fact]
    public void EightThreadsGiveTheSameResultsAsOne()
    {
        var runner = GeneratorHarness.Compile(TinyCnn());
        var inputs = Enumerable.Range(0, 16).Select(i => OrtReference.RandomFloats(36, 100 + i)).ToArray();
        var expected = inputs.Select(x => (float[])runner.Run(x)[0]).ToArray();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            for (int n = 0; n < 10000; n++)
            {
                int i = (t * 7 + n) % inputs.Length;
                Assert.Equal(expected[i], (float[])runner.Run(inputs[i])[0]);
            }
        });
    }

    [Fact]
    public void ScratchOverloadMatchesAndChecksItsLength()
    {
        var runner = GeneratorHarness.Compile(TinyCnn());
        Assert.True(runner.ArenaBytes > 0);
        var x = OrtReference.RandomFloats(36, 9);
        Assert.Equal((float[])runner.Run(x)[0], (float[])runner.RunWithScratch(new byte[runner.ArenaBytes], x)[0]);
        var e = Assert.Throws<ArgumentException>(() => runner.RunWithScratch(new byte[runner.ArenaBytes - 1], x));
        Assert.Equal("scratch", e.ParamName);
    }

    [Fact]
    public void WrongSpanLengthsThrowBeforeAnythingIsWritten()
    {
        var runner = GeneratorHarness.Compile(TinyCnn());
        var e = Assert.Throws<ArgumentException>(() => runner.Run(new float[35]));
        Assert.Equal("image", e.ParamName);
        Assert.Contains("36", e.Message);
        var output = new float[runner.OutputLengths[0] + 1];
        Array.Fill(output, 42f);
        var shim = runner.Assembly.GetType("EaiTestShim")!.GetMethod("Run")!;
        var ex = Assert.Throws<System.Reflection.TargetInvocationException>(() => shim.Invoke(null, new object[] { new Array[] { new float[36] }, new Array[] { output } }));
        Assert.Equal("features", ((ArgumentException)ex.InnerException!).ParamName);
        Assert.All(output, v => Assert.Equal(42f, v));
    }

    [Fact]
    public void GeneratedApiHasConstantsAndDocs()
    {
        var source = Generated(TinyCnn(), new() { ["ClassName"] = "Cnn" });
        Assert.Contains("public const int ArenaBytes", source);
        Assert.Contains("public const long WeightBytes = 80;", source);
        Assert.Contains("public const int ImageLength = 36;", source);
        Assert.Contains("ImageShape => new int[] { 1, 1, 6, 6 }", source);
        Assert.Contains("[global::System.CodeDom.Compiler.GeneratedCode(\"EfficientAI.Codegen\"", source);
        Assert.Contains("/// <param name=\"image\">Input 'image': float [1,1,6,6], row-major.</param>", source);
        Assert.Contains("namespace TestModels", source); // RootNamespace default
    }

    [Fact]
    public void DefaultClassNameIsPascalCaseOfTheFileName()
    {
        Assert.Equal("HelloDeepa", ModelOptions.DefaultClassName("models/hello_deepa.onnx"));
        Assert.Equal("FaceDetectionFront128x128Barracuda", ModelOptions.DefaultClassName("face_detection_front_128x128_barracuda.onnx"));
        Assert.Equal("Model3dNet", ModelOptions.DefaultClassName("3d-net.onnx"));
    }
}
