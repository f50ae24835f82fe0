using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using EfficientAI.Codegen.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EfficientAI.Cli.Validation;

/// <summary>
/// Generated sources plus a caller's shim compiled with Roslyn in memory (as a Release build would) and loaded.
/// Shared by eai (validate, profile) and eai-distill, which links this file.
/// </summary>
internal static class InMemoryAssembly
{
    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
    {
        var tpa = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator);
        return tpa.Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(EfficientAI.Runtime.Gemm).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    });

    /// <summary>The loaded assembly, or null with the first compiler errors in <paramref name="errors"/> (a compiler bug).</summary>
    public static Assembly? CompileAndLoad(string namePrefix, IEnumerable<GeneratedSource> sources, string shim, out string errors)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var name = namePrefix + Guid.NewGuid().ToString("N");
        var compilation = CSharpCompilation.Create(name,
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, parse, s.HintName)).Append(CSharpSyntaxTree.ParseText(shim, parse)),
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        using var ms = new MemoryStream();
        var emit = compilation.Emit(ms);
        errors = string.Join("\n  ", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10));
        if (!emit.Success) return null;
        ms.Position = 0;
        // Non-collectible: [ThreadStatic] arenas in collectible contexts have crashed hosts on unload.
        return new AssemblyLoadContext(name, isCollectible: false).LoadFromStream(ms);
    }
}
