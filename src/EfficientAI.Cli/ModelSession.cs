using System;
using System.IO;
using System.Linq;
using System.Threading;
using EfficientAI.Codegen;
using EfficientAI.Codegen.Model;

namespace EfficientAI.Cli;

/// <summary>Reads a model file and runs the generator's compiler on it, in-process, as a build would.</summary>
internal static class ModelSession
{
    /// <summary>The file as the generator would receive it; a missing file or a directory becomes a read error (EAI0001).</summary>
    public static ModelFile Read(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return new ModelFile(full, EquatableArray<byte>.Empty, "it is a directory, not a file");
        if (!File.Exists(full)) return new ModelFile(full, EquatableArray<byte>.Empty, "the file does not exist");
        try
        {
            return new ModelFile(full, File.ReadAllBytes(full).ToEquatableArray(), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ModelFile(full, EquatableArray<byte>.Empty, e.Message.TrimEnd('.'));
        }
    }

    public static ModelCompiler.Result Compile(ModelFile file, ModelOptions options, CancellationToken ct = default, string? profiler = null) =>
        ModelCompiler.CompileDetailed(new ModelRequest(file, options, CalibrationFiles(file.Path, options)), ct, profiler);

    /// <summary>
    /// The .npy files --calibration names, as a build's AdditionalFiles: each name is a path relative to the current
    /// folder, else to the model's folder. A name found in neither is left out, and the compiler reports it (EAI0302).
    /// </summary>
    private static EquatableArray<ModelFile> CalibrationFiles(string modelPath, ModelOptions options)
    {
        var modelFolder = Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".";
        return options.CalibrationFiles()
            .Select(name => new[] { Path.GetFullPath(name), Path.GetFullPath(Path.Combine(modelFolder, name)) }.FirstOrDefault(File.Exists))
            .Where(path => path is not null)
            .Distinct(StringComparer.Ordinal)
            .Select(path => Read(path!))
            .ToEquatableArray();
    }

    /// <summary>Writes every error diagnostic (one line each) to <paramref name="error"/>; true when there was one.</summary>
    public static bool ReportErrors(ModelCompiler.Result result, TextWriter error)
    {
        var errors = result.Output.Diagnostics.Where(d => d.IsError).ToList();
        foreach (var d in errors) error.WriteLine(d.Format());
        return errors.Count > 0;
    }

    /// <summary>The compiler's one-line summary (EAI0005), if it compiled.</summary>
    public static string? Summary(ModelCompiler.Result result) =>
        result.Output.Diagnostics.FirstOrDefault(d => d.Id == Codegen.Diagnostics.DiagnosticDescriptors.ModelSummary.Id)?.Format();
}
