using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using EfficientAI.Codegen.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace EfficientAI.Codegen;

/// <summary>
/// The incremental pipeline: every AdditionalFiles item ending in .onnx is read (ReadModel), paired with its
/// item metadata (ModelOptions) and the .npy calibration files its Calibration option names (ReadCalibration), and
/// compiled (CompileModel). Each step's model compares by value, so an
/// unrelated C# edit re-runs nothing and a model or option edit recompiles only that model.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ModelGenerator : IIncrementalGenerator
{
    public const string ReadModelStep = "ReadModel";
    public const string ModelOptionsStep = "ModelOptions";
    public const string CompileModelStep = "CompileModel";
    public const string ReadCalibrationStep = "ReadCalibration";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var models = context.AdditionalTextsProvider
            .Where(static t => t.Path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase));

        var files = models
            .Select(static (t, ct) => ReadModel(t.Path))
            .WithTrackingName(ReadModelStep);

        // Item metadata must be asked for with the compiler's own AdditionalText: its options provider keys
        // files by instance, not by path, so a look-up with any other object silently finds no metadata.
        var optionsByPath = models
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (pair, ct) => (pair.Left.Path, Options: ModelOptions.From(pair.Left.Path, pair.Right.GetOptions(pair.Left), pair.Right.GlobalOptions)))
            .Collect();

        // Calibration data (.npy): read as bytes like models, each file once, and only files some model's Calibration
        // option names (a project may hold other, large .npy files). A model's request holds only the files it names,
        // so editing one .npy recompiles only the models calibrated with it.
        var calibrationNames = optionsByPath
            .Select(static (all, ct) => all.SelectMany(e => e.Options.CalibrationFiles()).Distinct(StringComparer.Ordinal)
                .OrderBy(n => n, StringComparer.Ordinal).ToEquatableArray());
        var calibrationFiles = context.AdditionalTextsProvider
            .Where(static t => t.Path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            .Combine(calibrationNames)
            .Select(static (pair, ct) => pair.Right.Any(name => Onnx.CalibrationSet.Matches(name, pair.Left.Path)) ? ReadModel(pair.Left.Path) : null)
            .WithTrackingName(ReadCalibrationStep)
            .Where(static f => f is not null)
            .Select(static (f, ct) => f!)
            .Collect();

        var requests = files
            .Combine(optionsByPath)
            .Combine(calibrationFiles)
            .Select(static (pair, ct) =>
            {
                var options = OptionsFor(pair.Left.Left.Path, pair.Left.Right);
                return new ModelRequest(pair.Left.Left, options, CalibrationFor(options, pair.Right));
            })
            .WithTrackingName(ModelOptionsStep);

        var compiled = requests
            .Select(static (request, ct) => ModelCompiler.Compile(request, ct))
            .WithTrackingName(CompileModelStep);

        context.RegisterSourceOutput(compiled, static (spc, model) =>
        {
            foreach (var d in model.Diagnostics) spc.ReportDiagnostic(d.ToDiagnostic());
            foreach (var s in model.Sources) spc.AddSource(s.HintName, SourceText.From(s.Text, System.Text.Encoding.UTF8));
        });
    }

    /// <summary>
    /// Reads the model losslessly. AdditionalText.GetText() decodes as text and fails on real ONNX files
    /// (CS2015), so the bytes come from the file itself; the step re-runs whenever the compiler hands us a new
    /// AdditionalText for the path, i.e. when the file changed.
    /// </summary>
#pragma warning disable RS1035 // File IO: binary AdditionalFiles cannot be read through AdditionalText.
    internal static ModelFile ReadModel(string path)
    {
        try
        {
            long length = new FileInfo(path).Length;
            if (length > Diagnostics.Limits.MaxModelBytes)
                return new ModelFile(path, EquatableArray<byte>.Empty, $"the file has {length} bytes, more than the limit of {Diagnostics.Limits.MaxModelBytes} (MaxModelBytes, protobuf's own); store the weights as external data");
            return new ModelFile(path, new EquatableArray<byte>(File.ReadAllBytes(path)), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new ModelFile(path, EquatableArray<byte>.Empty, e.Message);
        }
    }
#pragma warning restore RS1035

    /// <summary>The .npy files the model's Calibration option names, in that order, sorted by path within one name (deterministic).</summary>
    private static EquatableArray<ModelFile> CalibrationFor(ModelOptions options, ImmutableArray<ModelFile> all)
    {
        var chosen = new System.Collections.Generic.List<ModelFile>();
        foreach (var name in options.CalibrationFiles())
            foreach (var file in all.Where(f => Onnx.CalibrationSet.Matches(name, f.Path)).OrderBy(f => f.Path, StringComparer.Ordinal))
                if (!chosen.Exists(c => c.Path == file.Path)) chosen.Add(file);
        return chosen.ToEquatableArray();
    }

    private static ModelOptions OptionsFor(string path, ImmutableArray<(string Path, ModelOptions Options)> all)
    {
        foreach (var entry in all)
            if (entry.Path == path) return entry.Options;
        return ModelOptions.Default(path);
    }
}
