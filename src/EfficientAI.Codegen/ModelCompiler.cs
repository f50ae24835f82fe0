using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Onnx;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Ops;
using EfficientAI.Codegen.Passes;
using Google.Protobuf;

namespace EfficientAI.Codegen;

/// <summary>The whole compiler as one function: model bytes and options in, C# sources and diagnostics out. Never throws.</summary>
internal static class ModelCompiler
{
    /// <summary>What a compile produced, with the IR for tools (CLI, report) that need more than the sources.</summary>
    internal sealed record Result(CompiledModel Output, Graph? Graph, ModelFigures? Figures)
    {
        /// <summary>The arena plan of a successful compile.</summary>
        public MemoryPlan? Plan { get; init; }
        /// <summary>The per-layer report of a successful compile (MACs, weights, arena placement).</summary>
        public ModelReport? Report { get; init; }
        /// <summary>With a profiler: the nodes its Mark(i) calls stand before, in order.</summary>
        public IReadOnlyList<string> ProfiledNodes { get; init; } = System.Array.Empty<string>();
    }

    /// <summary>
    /// Parses model bytes with a recursion limit just above what <see cref="Limits.MaxSubgraphDepth"/> nested
    /// subgraphs need (three messages per level: Graph, Node, Attribute), so too-deep nesting is reported as that
    /// limit rather than as a malformed file, while the parser's stack stays bounded.
    /// </summary>
    internal static ModelProto Parse(byte[] bytes)
    {
        using var input = CodedInputStream.CreateWithLimits(new MemoryStream(bytes, writable: false), int.MaxValue, 3 * Limits.MaxSubgraphDepth + 12);
        return ModelProto.Parser.ParseFrom(input);
    }

    public static CompiledModel Compile(ModelRequest request, CancellationToken ct) => CompileDetailed(request, ct).Output;

    /// <param name="profiler">
    /// For tools only (eai profile), never the generator: a static class whose Mark(int i) the generated Infer calls
    /// before its i-th node and once after the last, so a caller can time each node.
    /// </param>
    public static Result CompileDetailed(ModelRequest request, CancellationToken ct, string? profiler = null)
    {
        var path = request.File.Path;
        var diagnostics = new List<DiagnosticInfo>();
        DiagnosticInfo Diag(Microsoft.CodeAnalysis.DiagnosticDescriptor d, params string[] args) =>
            new(d.Id, path, new[] { Path.GetFileName(path) }.Concat(args).ToArray().ToEquatableArray());
        CompiledModel Fail(params DiagnosticInfo[] extra) =>
            new(EquatableArray<GeneratedSource>.Empty, diagnostics.Concat(extra).ToEquatableArray());

        if (request.File.ReadError is { } readError)
            return new Result(Fail(Diag(DiagnosticDescriptors.UnreadableFile, readError)), null, null);

        Graph? graph = null;
        // Info notes of the passes (a pattern left alone), also when a later stage fails: they may say why.
        bool notesAdded = false;
        void AddNotes()
        {
            if (graph is null || notesAdded) return;
            notesAdded = true;
            diagnostics.AddRange(graph.Notes.Select(n => Diag(DiagnosticTable.ById(n.Id), n.Message)));
        }
        try
        {
            ModelProto model;
            try
            {
                model = Parse(request.File.Bytes.AsSpan().ToArray());
            }
            catch (InvalidProtocolBufferException e)
            {
                return new Result(Fail(Diag(DiagnosticDescriptors.MalformedModel, e.Message.TrimEnd('.'))), null, null);
            }
            if (model.Graph is null || (model.Graph.Node.Count == 0 && model.Graph.Output.Count == 0))
                return new Result(Fail(Diag(DiagnosticDescriptors.MalformedModel, request.File.Bytes.Length == 0 ? "the file is empty" : "it contains no graph")), null, null);

            ExternalData.Inline(model, path);
            graph = GraphImporter.Import(model, request.Options);
            graph.Threads = request.Options.ParseThreads();
            var unsupported = Unsupported(graph);
            if (unsupported.Count > 0) return new Result(Fail(unsupported.Select(u => Diag(DiagnosticDescriptors.UnsupportedOp, u.Op, u.Where)).ToArray()), graph, null);

            bool quantize = request.Options.ParseQuantize();
            var calibrationMethod = request.Options.ParseCalibrationMethod();
            // Calibration data only matters to Quantize="int8"; without it the option is not read (nor its files checked).
            var calibration = quantize && request.Options.ParseCalibration().Count > 0 ? CalibrationSet.Load(graph, request.Options, request.Calibration) : null;
            if (!quantize && request.Options.CalibrationFileNames().Any()) diagnostics.Add(Diag(DiagnosticDescriptors.CalibrationIgnored));
            graph = PassPipeline.Run(graph, request.Options.ParseDisabledPasses(), ct, quantize, request.Options.ParseMinSqnrDb(), calibration, calibrationMethod,
                request.Options.ParsePruning());
            foreach (var skipped in graph.Pruning.Where(p => p.StructuredSkipped))
                diagnostics.Add(Diag(DiagnosticDescriptors.StructuredPruningSkipped, $"{skipped.OpType} '{skipped.Node}'", skipped.Note.Replace("structured: ", "")));
            AddNotes();
            var (modelSource, weightsSource, figures) = ModelEmitter.Emit(graph, request.Options, path, ct, out var details, profiler);
            var hint = request.Options.Namespace + "." + request.Options.ClassName;
            var overBudget = Budgets(request.Options, figures);
            if (overBudget.Count > 0) return new Result(Fail(overBudget.Select(b => Diag(DiagnosticDescriptors.OverBudget, b)).ToArray()), graph, figures);
            diagnostics.Add(Diag(DiagnosticDescriptors.ModelSummary, request.Options.Namespace + "." + request.Options.ClassName, Summary(figures)));
            var sources = new List<GeneratedSource>
            {
                new GeneratedSource(hint + ".g.cs", modelSource),
                new GeneratedSource(hint + ".Weights.g.cs", weightsSource),
            };
            if (request.Options.ParseReport() is { } reportFormat)
                sources.Add(new GeneratedSource(ReportFile.HintName(hint), ReportFile.Source(ReportFile.Files(details.Report, reportFormat, request.Options.ClassName))));
            return new Result(new CompiledModel(sources.ToEquatableArray(), diagnostics.ToEquatableArray()), graph, figures) { Plan = details.Plan, Report = details.Report, ProfiledNodes = details.ProfiledNodes };
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (CompileError e)
        {
            AddNotes();
            return new Result(Fail(Diag(e.Descriptor, e.Arguments ?? new[] { e.Message })), graph, null);
        }
        catch (OverflowException e)
        {
            return new Result(Fail(Diag(DiagnosticDescriptors.LimitExceeded, "a shape or size overflows: " + e.Message)), graph, null);
        }
        catch (Exception e)
        {
            return new Result(Fail(Diag(DiagnosticDescriptors.InternalError, "", e.GetType().Name + ": " + e.Message)), graph, null);
        }
    }

    /// <summary>
    /// The graph of a successful compile written as an ONNX model with its int8 layers in QDQ form (<see cref="QdqExport"/>),
    /// so ONNX Runtime can run the very quantized model the generated code runs; or the EAI0305 diagnostic that refuses it.
    /// </summary>
    public static (byte[]? Model, DiagnosticInfo? Error) ExportQdq(Result result, string path)
    {
        if (result.Graph is null || result.Output.Diagnostics.Any(d => d.IsError))
            return (null, new DiagnosticInfo(DiagnosticDescriptors.QdqExportRefused.Id, path,
                new[] { Path.GetFileName(path), "the model did not compile" }.ToEquatableArray()));
        try
        {
            return (QdqExport.Write(result.Graph).ToByteArray(), null);
        }
        catch (CompileError e)
        {
            return (null, new DiagnosticInfo(e.Descriptor.Id, path, new[] { Path.GetFileName(path) }.Concat(e.Arguments ?? new[] { e.Message }).ToArray().ToEquatableArray()));
        }
    }

    /// <summary>Every op the compiler lacks, grouped by type, with node names and the imported opset: one build lists them all.</summary>
    private static List<(string Op, string Where)> Unsupported(Graph graph)
    {
        var list = new List<(string, string)>();
        foreach (var group in graph.AllNodes().Where(n => OperatorRegistry.Find(n.Domain, n.OpType) is null)
                     .GroupBy(n => (n.Domain, n.OpType)).OrderBy(g => g.Key.Domain, StringComparer.Ordinal).ThenBy(g => g.Key.OpType, StringComparer.Ordinal))
        {
            var domain = group.Key.Domain.Length == 0 ? "ai.onnx" : group.Key.Domain;
            var nodes = string.Join(", ", group.Take(5).Select(n => n.Name.Length > 0 ? "'" + n.Name + "'" : "(unnamed)"));
            if (group.Count() > 5) nodes += $" and {group.Count() - 5} more";
            list.Add((group.Key.OpType, $"{domain} opset {group.First().Opset}; nodes {nodes}"));
        }
        return list;
    }

    /// <summary>MaxRamBytes (the arena) and MaxRomBytes (the weights): the planned figure and the three biggest contributors.</summary>
    private static List<string> Budgets(ModelOptions options, ModelFigures f)
    {
        var over = new List<string>();
        var ram = ModelOptions.ParseBytes(options.MaxRamBytes, "MaxRamBytes");
        var rom = ModelOptions.ParseBytes(options.MaxRomBytes, "MaxRomBytes");
        string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
        if (ram is { } maxRam && f.ArenaBytes > maxRam)
            over.Add($"the arena needs {N(f.ArenaBytes)} B, over MaxRamBytes={N(maxRam)} B; biggest tensors: " +
                string.Join(", ", f.LargestTensors.Select(t => $"'{t.Name}' {N(t.Bytes)} B from {t.Producer}")));
        if (rom is { } maxRom && f.WeightBytes > maxRom)
            over.Add($"the weights need {N(f.WeightBytes)} B, over MaxRomBytes={N(maxRom)} B; biggest weights: " +
                string.Join(", ", f.LargestWeights.Select(w => $"'{w.Name}' {N(w.Bytes)} B")));
        return over;
    }

    public static string Summary(ModelFigures f) => string.Format(CultureInfo.InvariantCulture,
        "{0} nodes, arena {1:N0} B (lower bound {2:N0} B, no reuse {3:N0} B), weights {4:N0} B, {5:N0} MACs per inference",
        f.Nodes, f.ArenaBytes, f.ArenaLowerBound, f.ArenaNoReuse, f.WeightBytes, f.Macs);
}
