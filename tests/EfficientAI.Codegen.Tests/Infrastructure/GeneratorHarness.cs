using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace EfficientAI.Codegen.Tests.Infrastructure;

/// <summary>An AdditionalText backed by a file on disk (the generator reads the bytes itself).</summary>
internal sealed class FileText : AdditionalText
{
    public FileText(string path) => Path = path;
    public override string Path { get; }
    public override SourceText? GetText(CancellationToken cancellationToken = default) => null;
}

/// <summary>Item metadata and build properties for the driver, keyed like MSBuild's editorconfig output.</summary>
internal sealed class TestOptionsProvider : AnalyzerConfigOptionsProvider
{
    private readonly Dictionary<string, Options> _files;
    private readonly Options _global;

    public TestOptionsProvider(Dictionary<string, Dictionary<string, string>> metadataByPath, Dictionary<string, string>? global = null)
    {
        _files = metadataByPath.ToDictionary(kv => kv.Key, kv => new Options(kv.Value.ToDictionary(m => "build_metadata.AdditionalFiles." + m.Key, m => m.Value)));
        _global = new Options(global ?? new Dictionary<string, string> { ["build_property.RootNamespace"] = "TestModels" });
    }

    public override AnalyzerConfigOptions GlobalOptions => _global;
    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;
    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _files.TryGetValue(textFile.Path, out var o) ? o : Options.Empty;

    internal sealed class Options : AnalyzerConfigOptions
    {
        public static readonly Options Empty = new(new Dictionary<string, string>());
        private readonly Dictionary<string, string> _values;
        public Options(Dictionary<string, string> values) => _values = values;
        public override bool TryGetValue(string key, out string value) => _values.TryGetValue(key, out value!);
    }
}

/// <summary>Runs the generator through CSharpGeneratorDriver, compiles the result in memory and loads it.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
    {
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return tpa.Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(EfficientAI.Runtime.Gemm).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    });

    public static string TempDir { get; } = Directory.CreateTempSubdirectory("eai-tests-").FullName;

    /// <summary>Writes the model to a file named after its content hash (so parallel tests never collide).</summary>
    public static string WriteModel(byte[] model, string? fileName = null)
    {
        var dir = Path.Combine(TempDir, Convert.ToHexString(SHA256.HashData(model))[..16]);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, fileName ?? "model.onnx");
        if (!File.Exists(path)) File.WriteAllBytes(path, model);
        return path;
    }

    /// <summary>Writes a float32 .npy file (format 1.0, C order) into a fresh folder; returns its path.</summary>
    public static string WriteNpy(string fileName, int[] shape, float[] data, string descr = "<f4")
    {
        var header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + string.Join(", ", shape) + (shape.Length == 1 ? "," : "") + "), }";
        header = header.PadRight((header.Length + 11) / 64 * 64 + 64 - 11) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(header.Length & 0xff), (byte)(header.Length >> 8) };
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        foreach (var v in data) bytes.AddRange(BitConverter.GetBytes(v));
        return WriteFile(fileName, bytes.ToArray());
    }

    /// <summary>Writes bytes to a file of that name in a folder named after the content hash.</summary>
    public static string WriteFile(string fileName, byte[] bytes)
    {
        var dir = Path.Combine(TempDir, "files", Convert.ToHexString(SHA256.HashData(bytes))[..16]);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, fileName);
        if (!File.Exists(path)) File.WriteAllBytes(path, bytes);
        return path;
    }

    public static CSharpCompilation BaseCompilation(params string[] sources) => CSharpCompilation.Create(
        "Generated_" + Guid.NewGuid().ToString("N"),
        sources.Select(s => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest))),
        s_references.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(IEnumerable<AdditionalText> texts, AnalyzerConfigOptionsProvider options, bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(new[] { new ModelGenerator().AsSourceGenerator() }, texts, new CSharpParseOptions(LanguageVersion.Latest), options,
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator on one model file; returns the output compilation and every diagnostic.</summary>
    /// <param name="otherFiles">More AdditionalFiles without metadata (calibration .npy files).</param>
    public static (Compilation Output, ImmutableArray<Diagnostic> Diagnostics, GeneratorDriverRunResult Run) Generate(string modelPath, Dictionary<string, string>? metadata = null,
        params string[] otherFiles)
    {
        var provider = new TestOptionsProvider(new() { [modelPath] = metadata ?? new() });
        var driver = Driver(new[] { new FileText(modelPath) }.Concat(otherFiles.Select(f => new FileText(f))), provider);
        driver = driver.RunGeneratorsAndUpdateCompilation(BaseCompilation(), out var output, out var diagnostics);
        return (output, diagnostics, driver.GetRunResult());
    }

    /// <summary>Generates, compiles and loads a model; fails the test on any error diagnostic.</summary>
    public static CompiledModelRunner Compile(byte[] model, Dictionary<string, string>? metadata = null, string? fileName = null, params string[] otherFiles)
    {
        var path = WriteModel(model, fileName);
        var (output, diagnostics, _) = Generate(path, metadata, otherFiles);
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0) throw new InvalidOperationException("generator errors:\n" + string.Join("\n", errors));
        return CompiledModelRunner.Load(output, metadata?.GetValueOrDefault("Namespace") ?? "TestModels",
            metadata?.GetValueOrDefault("ClassName") ?? ModelOptions.DefaultClassName(path));
    }
}

/// <summary>A generated model compiled and loaded, callable with arrays through a shim compiled beside it.</summary>
internal sealed class CompiledModelRunner
{
    private readonly MethodInfo _run, _runScratch, _allocations;

    private CompiledModelRunner(Assembly assembly, Type model, string[] inputTypes, string[] outputTypes, int[] outputLengths)
    {
        Assembly = assembly;
        Model = model;
        InputTypes = inputTypes;
        OutputTypes = outputTypes;
        OutputLengths = outputLengths;
        var shim = assembly.GetType("EaiTestShim")!;
        _run = shim.GetMethod("Run")!;
        _runScratch = shim.GetMethod("RunScratch")!;
        _allocations = shim.GetMethod("Allocations")!;
    }

    public Assembly Assembly { get; }
    public Type Model { get; }
    public string[] InputTypes { get; }
    public string[] OutputTypes { get; }
    public int[] OutputLengths { get; }
    public int ArenaBytes => (int)Model.GetField("ArenaBytes")!.GetValue(null)!;

    public static CompiledModelRunner Load(Compilation output, string ns, string className)
    {
        var type = output.GetTypeByMetadataName(ns + "." + className) ?? throw new InvalidOperationException($"generated type {ns}.{className} not found");
        var infer = type.GetMembers("Infer").OfType<IMethodSymbol>().OrderBy(m => m.Parameters.Length).First();
        var ps = infer.Parameters;
        string Elem(IParameterSymbol p) => ((INamedTypeSymbol)p.Type).TypeArguments[0].ToDisplayString();
        var inputs = ps.Where(p => p.Type.Name == "ReadOnlySpan").ToArray();
        var outputs = ps.Where(p => p.Type.Name == "Span").ToArray();
        var args = string.Join(", ", inputs.Select((p, i) => $"({Elem(p)}[])inputs[{i}]").Concat(outputs.Select((p, i) => $"({Elem(p)}[])outputs[{i}]")));
        var fq = "global::" + ns + "." + className;
        var locals = string.Join(" ", inputs.Select((p, i) => $"System.ReadOnlySpan<{Elem(p)}> i{i} = ({Elem(p)}[])inputs[{i}];")
            .Concat(outputs.Select((p, i) => $"System.Span<{Elem(p)}> o{i} = ({Elem(p)}[])outputs[{i}];")));
        var spanArgs = string.Join(", ", inputs.Select((_, i) => $"i{i}").Concat(outputs.Select((_, i) => $"o{i}")));
        var shim = $$"""
            public static class EaiTestShim
            {
                public static void Run(object[] inputs, object[] outputs) => {{fq}}.Infer({{args}});
                public static void RunScratch(object[] inputs, object[] outputs, byte[] scratch) => {{fq}}.Infer({{args}}, scratch);
                public static long Allocations(object[] inputs, object[] outputs, int calls)
                {
                    {{locals}}
                    // Warm up past tiered compilation (call counting, tier-1 promotion) so only Infer itself is measured.
                    for (int n = 0; n < 2000; n++) {{fq}}.Infer({{spanArgs}});
                    System.Threading.Thread.Sleep(300);
                    for (int n = 0; n < 100; n++) {{fq}}.Infer({{spanArgs}});
                    long before = System.GC.GetAllocatedBytesForCurrentThread();
                    for (int n = 0; n < calls; n++) {{fq}}.Infer({{spanArgs}});
                    return System.GC.GetAllocatedBytesForCurrentThread() - before;
                }
            }
            """;
        var compilation = output.AddSyntaxTrees(CSharpSyntaxTree.ParseText(shim, new CSharpParseOptions(LanguageVersion.Latest)));
        using var ms = new MemoryStream();
        var emit = compilation.Emit(ms);
        if (!emit.Success)
            throw new InvalidOperationException("generated code does not compile:\n" + string.Join("\n", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(20)));
        ms.Position = 0;
        // Non-collectible: [ThreadStatic] arenas in collectible contexts have crashed the test host on unload.
        var assembly = new AssemblyLoadContext("model-" + Guid.NewGuid().ToString("N"), isCollectible: false).LoadFromStream(ms);
        var lengths = outputs.Select(p => (int)assembly.GetType(ns + "." + className)!.GetField(EfficientAI.Codegen.Emit.Identifiers.Pascal(p.Name) + "Length")!.GetValue(null)!).ToArray();
        return new CompiledModelRunner(assembly, assembly.GetType(ns + "." + className)!, inputs.Select(Elem).ToArray(), outputs.Select(Elem).ToArray(), lengths);
    }

    public Array[] NewOutputs() => OutputTypes.Select((t, i) => Array.CreateInstance(ElementType(t), OutputLengths[i])).ToArray();

    public Array[] Run(params Array[] inputs)
    {
        var outputs = NewOutputs();
        Invoke(_run, new object[] { inputs, outputs });
        return outputs;
    }

    public Array[] RunWithScratch(byte[] scratch, params Array[] inputs)
    {
        var outputs = NewOutputs();
        Invoke(_runScratch, new object[] { inputs, outputs, scratch });
        return outputs;
    }

    public long Allocations(Array[] inputs, int calls) => (long)Invoke(_allocations, new object[] { inputs, NewOutputs(), calls })!;

    private static object? Invoke(MethodInfo m, object[] args)
    {
        try { return m.Invoke(null, args); }
        catch (TargetInvocationException e) when (e.InnerException is not null) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException); throw; }
    }

    public static Type ElementType(string csharp) => csharp switch
    {
        "float" => typeof(float), "long" => typeof(long), "int" => typeof(int), "bool" => typeof(bool), "double" => typeof(double),
        "byte" => typeof(byte), "sbyte" => typeof(sbyte), "short" => typeof(short), "ushort" => typeof(ushort), "uint" => typeof(uint), "ulong" => typeof(ulong),
        "global::System.Half" or "System.Half" => typeof(Half),
        _ => throw new NotSupportedException(csharp),
    };
}
