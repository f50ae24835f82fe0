using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace EfficientAI.Codegen.Model;

/// <summary>The bytes of one .onnx AdditionalFile, read losslessly (AdditionalText.GetText() fails on binary files).</summary>
internal sealed record ModelFile(string Path, EquatableArray<byte> Bytes, string? ReadError);

/// <summary>
/// Everything the compiler needs for one model: its bytes, its options and the .npy AdditionalFiles its Calibration
/// option names (in the order named; only those, so an unrelated .npy edit recompiles nothing). Value-equal.
/// </summary>
internal sealed record ModelRequest(ModelFile File, ModelOptions Options, EquatableArray<ModelFile> Calibration = default);

/// <summary>One generated source file.</summary>
internal sealed record GeneratedSource(string HintName, string Text);

/// <summary>A diagnostic without Roslyn objects, so it can live in a cached pipeline model.</summary>
internal sealed record DiagnosticInfo(string Id, string Path, EquatableArray<string> Arguments)
{
    public Diagnostic ToDiagnostic()
    {
        var descriptor = Diagnostics.DiagnosticTable.ById(Id);
        var location = Path.Length == 0 ? Location.None : Location.Create(Path, default(TextSpan), default(LinePositionSpan));
        return Diagnostic.Create(descriptor, location, Arguments.Cast<object>().ToArray());
    }

    public string Format()
    {
        var descriptor = Diagnostics.DiagnosticTable.ById(Id);
        return $"{descriptor.DefaultSeverity.ToString().ToLowerInvariant()} {Id}: " +
            string.Format(System.Globalization.CultureInfo.InvariantCulture, descriptor.MessageFormat.ToString(System.Globalization.CultureInfo.InvariantCulture), Arguments.Cast<object>().ToArray());
    }

    public bool IsError => Diagnostics.DiagnosticTable.ById(Id).DefaultSeverity == DiagnosticSeverity.Error;
}

/// <summary>The result of compiling one model: sources and diagnostics, value-equal.</summary>
internal sealed record CompiledModel(EquatableArray<GeneratedSource> Sources, EquatableArray<DiagnosticInfo> Diagnostics);
