using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Ops;
using Google.Protobuf;

namespace EfficientAI.Cli.Commands;

/// <summary>eai inspect MODEL: versions, producer, inputs/outputs, op counts, parameters, unsupported ops and whether it builds, on one screen.</summary>
internal static class InspectCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = ctx.ModelArgument();
        var command = new Command("inspect", "Show a model's versions, producer, inputs and outputs (with symbolic dims), op counts, parameters, unsupported ops, and whether it compiles with the given options.");
        command.Arguments.Add(model);
        ctx.ModelOptions.AddTo(command);
        command.SetAction(parse => ctx.Guard(parse, () => Run(ctx, parse, parse.GetValue(model)!)));
        return command;
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static int Run(CliContext ctx, ParseResult parse, string path)
    {
        var file = ModelSession.Read(path);
        var fileName = System.IO.Path.GetFileName(file.Path);
        if (file.ReadError is { } readError)
        {
            ctx.Error.WriteLine(Diagnostic(DiagnosticDescriptors.UnreadableFile, fileName, readError));
            return ExitCodes.ModelError;
        }
        ModelProto proto;
        try
        {
            proto = EfficientAI.Codegen.ModelCompiler.Parse(file.Bytes.AsSpan().ToArray());
        }
        catch (InvalidProtocolBufferException e)
        {
            ctx.Error.WriteLine(Diagnostic(DiagnosticDescriptors.MalformedModel, fileName, e.Message.TrimEnd('.')));
            return ExitCodes.ModelError;
        }
        if (proto.Graph is null || (proto.Graph.Node.Count == 0 && proto.Graph.Output.Count == 0))
        {
            ctx.Error.WriteLine(Diagnostic(DiagnosticDescriptors.MalformedModel, fileName, file.Bytes.Length == 0 ? "the file is empty" : "it contains no graph"));
            return ExitCodes.ModelError;
        }

        var o = ctx.Out;
        var g = proto.Graph;
        o.WriteLine($"{fileName}: {N(file.Bytes.Length)} B, ONNX IR version {proto.IrVersion}, producer {Or(proto.ProducerName + " " + proto.ProducerVersion, "(none)")}" +
            (proto.Domain.Length > 0 ? $", domain {proto.Domain}" : "") + (proto.ModelVersion != 0 ? $", model version {proto.ModelVersion}" : ""));
        var opsets = proto.OpsetImport.ToDictionary(x => x.Domain is "" or "ai.onnx" ? "" : x.Domain, x => (int)Math.Min(int.MaxValue, x.Version));
        o.WriteLine("opsets: " + string.Join(", ", proto.OpsetImport.Select(x => $"{Or(x.Domain, "ai.onnx")} {x.Version}")));

        var initializers = new HashSet<string>(g.Initializer.Select(t => t.Name));
        var inputs = g.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        var symbolic = new SortedSet<string>(StringComparer.Ordinal);
        o.WriteLine($"inputs ({inputs.Count}):");
        foreach (var v in inputs) o.WriteLine("  " + Describe(v, symbolic));
        o.WriteLine($"outputs ({g.Output.Count}):");
        foreach (var v in g.Output) o.WriteLine("  " + Describe(v, symbolic));
        if (symbolic.Count > 0) o.WriteLine("symbolic dims: " + string.Join(", ", symbolic) + " (bind with --dims NAME=N, or --shapes INPUT=AxB)");

        long elements = 0, bytes = 0;
        foreach (var t in g.Initializer)
        {
            long n = t.Dims.Aggregate(1L, (a, d) => a * Math.Max(d, 0));
            elements += n;
            var type = (DataType)t.DataType;
            if (type != DataType.String && type != DataType.Undefined) bytes += n * DataTypes.Size(type);
        }
        o.WriteLine($"parameters: {N(elements)} in {N(g.Initializer.Count)} initializers, {N(bytes)} B");

        var counts = g.Node.GroupBy(n => (Domain: n.Domain is "" or "ai.onnx" ? "" : n.Domain, n.OpType))
            .Select(x => (x.Key, Count: x.Count())).OrderByDescending(x => x.Count).ThenBy(x => x.Key.OpType, StringComparer.Ordinal).ToList();
        o.WriteLine($"ops ({N(g.Node.Count)} nodes): " + string.Join(", ", counts.Select(c => $"{(c.Key.Domain.Length > 0 ? c.Key.Domain + "." : "")}{c.Key.OpType} {c.Count}")));

        var unsupported = g.Node.Where(n => !Supported(n)).GroupBy(n => (Domain: n.Domain is "" or "ai.onnx" ? "" : n.Domain, n.OpType))
            .OrderBy(x => x.Key.Domain, StringComparer.Ordinal).ThenBy(x => x.Key.OpType, StringComparer.Ordinal).ToList();
        if (unsupported.Count == 0) o.WriteLine("unsupported ops: none");
        else
        {
            o.WriteLine($"unsupported ops ({unsupported.Count}):");
            foreach (var u in unsupported)
            {
                var names = u.Select(n => n.Name.Length > 0 ? "'" + n.Name + "'" : "(unnamed)").ToList();
                var shown = string.Join(", ", names.Take(10)) + (names.Count > 10 ? $" and {names.Count - 10} more" : "");
                var opset = opsets.TryGetValue(u.Key.Domain, out var ver) ? ver.ToString(CultureInfo.InvariantCulture) : "?";
                o.WriteLine($"  {Or(u.Key.Domain, "ai.onnx")} {u.Key.OpType} (opset {opset}), {names.Count} node{(names.Count == 1 ? "" : "s")}: {shown}");
            }
        }

        // The build itself, with the options given: the same compiler the generator runs.
        var result = ModelSession.Compile(file, ctx.ModelOptions.Read(parse, file.Path));
        var errors = result.Output.Diagnostics.Where(d => d.IsError).ToList();
        if (errors.Count == 0)
        {
            o.WriteLine("build: ok: " + Codegen.ModelCompiler.Summary(result.Figures!));
            return ExitCodes.Ok;
        }
        o.WriteLine($"build: fails with {errors.Count} error{(errors.Count == 1 ? "" : "s")}:");
        foreach (var e in errors)
        {
            o.WriteLine("  " + e.Format());
            ctx.Error.WriteLine(e.Format());
        }
        return ExitCodes.ModelError;
    }

    private static bool Supported(NodeProto n) =>
        (n.OpType == "Constant" && n.Domain is "" or "ai.onnx") || OperatorRegistry.Find(n.Domain, n.OpType) is not null;

    /// <summary>"name  float [batch,3,224,224]", collecting symbolic dim names.</summary>
    private static string Describe(ValueInfoProto v, ISet<string> symbolic)
    {
        var t = v.Type?.TensorType;
        if (t is null) return $"{v.Name}  (not a tensor)";
        string shape;
        if (t.Shape is null) shape = "(no shape)";
        else
            shape = "[" + string.Join(",", t.Shape.Dim.Select(d =>
            {
                if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue) return d.DimValue.ToString(CultureInfo.InvariantCulture);
                if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam && d.DimParam.Length > 0)
                {
                    symbolic.Add(d.DimParam);
                    return d.DimParam;
                }
                return "?";
            })) + "]";
        return $"{v.Name}  {DataTypes.Name((DataType)t.ElemType)} {shape}";
    }

    private static string Or(string s, string fallback) => s.Trim().Length > 0 ? s.Trim() : fallback;

    private static string Diagnostic(Microsoft.CodeAnalysis.DiagnosticDescriptor d, string file, string detail) =>
        new DiagnosticInfo(d.Id, file, new[] { file, detail }.ToEquatableArray()).Format();
}
