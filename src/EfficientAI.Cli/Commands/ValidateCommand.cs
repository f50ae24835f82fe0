using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using EfficientAI.Cli.Validation;
using EfficientAI.Codegen;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Cli.Commands;

/// <summary>
/// eai validate MODEL: compiles the model with the generator in-process, runs the generated code and ONNX Runtime on the
/// same inputs (random, .npy files or ONNX test data), and reports per output the error against ONNX Runtime (and against
/// the expected outputs of test data), and the median latency of both.
/// </summary>
internal static class ValidateCommand
{
    public const double DefaultRtol = 1e-4, DefaultAtol = 1e-4;

    private sealed record OutputResult(string Name, string DataType, int[] Shape, ErrorStats VsOrt, ErrorStats? VsExpected);
    private sealed record CaseResult(string Source, List<OutputResult> Outputs);
    private sealed record Latency(int Runs, double GeneratedMs, double OrtMs);

    public static Command Create(CliContext ctx)
    {
        var model = ctx.ModelArgument();
        var inputs = new Option<string[]>("--inputs", "-i")
        {
            Description = "Input tensors as .npy files: FILE (in the order of the model's inputs) or NAME=FILE.",
            AllowMultipleArgumentsPerToken = true,
            HelpName = "file",
        };
        var testData = new Option<string?>("--test-data") { Description = "An ONNX test-data folder: test_data_set_N/input_*.pb and output_*.pb (or one such set); expected outputs are checked too.", HelpName = "dir" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random inputs (floats in [-1,1), integers in [0,4), never all zero).", DefaultValueFactory = _ => 1 };
        var rtol = new Option<double>("--rtol") { Description = "Relative tolerance: |actual - expected| <= atol + rtol * |expected|.", DefaultValueFactory = _ => DefaultRtol };
        var atol = new Option<double>("--atol") { Description = "Absolute tolerance.", DefaultValueFactory = _ => DefaultAtol };
        var runs = new Option<int>("--runs") { Description = "Timed runs of each engine for the median latency (0 skips timing).", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new Command("validate", "Compile the model in-process, run the generated code and ONNX Runtime on the same inputs, and compare: per output max abs/rel error and cosine similarity, and median latency of both.");
        command.Arguments.Add(model);
        foreach (var o in new Option[] { inputs, testData, seed, rtol, atol, runs, json }) command.Options.Add(o);
        ctx.ModelOptions.AddTo(command);
        command.SetAction(parse => ctx.Guard(parse, () =>
        {
            if (parse.GetValue(inputs) is { Length: > 0 } && parse.GetValue(testData) is not null)
                throw new CliException(ExitCodes.UsageError, "give --inputs or --test-data, not both");
            if (parse.GetValue(rtol) < 0 || parse.GetValue(atol) < 0) throw new CliException(ExitCodes.UsageError, "--rtol and --atol must not be negative");
            if (parse.GetValue(runs) < 0) throw new CliException(ExitCodes.UsageError, "--runs must not be negative");
            return Run(ctx, parse, parse.GetValue(model)!, parse.GetValue(inputs) ?? Array.Empty<string>(), parse.GetValue(testData), parse.GetValue(seed),
                parse.GetValue(rtol), parse.GetValue(atol), parse.GetValue(runs), parse.GetValue(json));
        }));
        return command;
    }

    private static int Run(CliContext ctx, ParseResult parse, string path, string[] npyInputs, string? testData, int seed, double rtol, double atol, int runs, bool json)
    {
        var progress = new Progress(ctx.Error, ctx.Interactive && !json);
        var file = ModelSession.Read(path);
        var options = ctx.ModelOptions.Read(parse, file.Path);
        progress.Step("compiling " + Path.GetFileName(file.Path));
        var result = ModelSession.Compile(file, options);
        if (result.Output.Diagnostics.Any(d => d.IsError))
        {
            progress.Clear();
            ModelSession.ReportErrors(result, ctx.Error);
            if (json) WriteCompileFailure(ctx.Out, file.Path, result);
            return ExitCodes.ModelError;
        }
        var graph = result.Graph!;
        var className = options.Namespace + "." + options.ClassName;
        var genInputs = graph.Inputs.Select(n => graph.Values[n]).ToList();
        var genOutputs = graph.Outputs.Select(n => graph.Values[n]).ToList();

        progress.Step("compiling the generated C#");
        var generated = GeneratedModel.Load(result.Output.Sources, className, genInputs.Select(v => v.Type).ToList(),
            genOutputs.Select(v => (v.Type, Shape.ElementsInt(v.RequireShape))).ToList());
        progress.Step("loading the model in ONNX Runtime");
        using var ort = new OrtModel(file.Bytes.AsSpan().ToArray());

        var cases = Cases(graph, ort, npyInputs, testData, seed);
        var results = new List<CaseResult>();
        Latency? latency = null;
        foreach (var c in cases)
        {
            progress.Step("running " + c.Source);
            var feeds = Feeds(graph, ort, c.Inputs);
            var genArrays = genInputs.Select(v => feeds.First(f => f.Name == v.Name).Data).ToArray();
            var actual = generated.Run(genArrays);
            var reference = ort.Run(feeds, graph.Outputs);
            var outputs = new List<OutputResult>();
            for (int i = 0; i < genOutputs.Count; i++)
            {
                var v = genOutputs[i];
                ErrorStats? vsExpected = null;
                if (c.Expected is { } expected)
                {
                    var e = expected.FirstOrDefault(t => t.Name == v.Name) ?? (i < expected.Count && !expected.Any(t => graph.Outputs.Contains(t.Name)) ? expected[i] : null);
                    if (e is not null) vsExpected = ErrorStats.Compare(actual[i], e.Data, rtol, atol);
                }
                outputs.Add(new OutputResult(v.Name, DataTypes.Name(v.Type), v.RequireShape, ErrorStats.Compare(actual[i], reference[i], rtol, atol), vsExpected));
            }
            results.Add(new CaseResult(c.Source, outputs));
            if (latency is null && runs > 0)
            {
                progress.Step($"timing {runs} runs of each");
                WarmUp(n => generated.Time(genArrays, n));
                WarmUp(n => ort.Time(feeds, graph.Outputs, n));
                latency = new Latency(runs, Median(generated.Time(genArrays, runs)), Median(ort.Time(feeds, graph.Outputs, runs)));
            }
        }
        progress.Clear();

        bool ok = results.All(r => r.Outputs.All(o => o.VsOrt.Within && (o.VsExpected?.Within ?? true)));
        int exit = ok ? ExitCodes.Ok : ExitCodes.OutOfTolerance;
        if (json) WriteJson(ctx.Out, file.Path, className, rtol, atol, results, latency, exit);
        else WriteText(ctx.Out, Path.GetFileName(file.Path), className, rtol, atol, results, latency, ok);
        return exit;
    }

    private sealed record Case(string Source, Dictionary<string, TensorData> Inputs, List<TensorData>? Expected);

    /// <summary>The input sets to run: test data, .npy files, or one random set.</summary>
    private static List<Case> Cases(Graph graph, OrtModel ort, string[] npyInputs, string? testData, int seed)
    {
        if (testData is not null)
        {
            return TestData.ReadSets(testData).Select(set =>
            {
                // input_K.pb is the K-th graph input unless it carries the name of one.
                var byName = new Dictionary<string, TensorData>();
                for (int k = 0; k < set.Inputs.Count; k++)
                {
                    var t = set.Inputs[k];
                    var name = ort.InputNames.Contains(t.Name) ? t.Name
                        : k < ort.InputNames.Count ? ort.InputNames[k]
                        : throw new CliException(ExitCodes.UsageError, $"{set.Folder}: {set.Inputs.Count} inputs, but the model has {ort.InputNames.Count}");
                    byName[name] = t with { Name = name };
                }
                return new Case(Path.GetFileName(set.Folder), byName, set.Outputs);
            }).ToList();
        }
        if (npyInputs.Length > 0)
        {
            var byName = new Dictionary<string, TensorData>();
            var files = new List<string>();
            for (int k = 0; k < npyInputs.Length; k++)
            {
                var spec = npyInputs[k];
                int eq = spec.IndexOf('=');
                string name, fileName;
                if (eq > 0 && !File.Exists(spec)) { name = spec.Substring(0, eq); fileName = spec.Substring(eq + 1); }
                else
                {
                    if (k >= graph.Inputs.Count) throw new CliException(ExitCodes.UsageError, $"{npyInputs.Length} input files, but the compiled model has {graph.Inputs.Count} inputs");
                    name = graph.Inputs[k];
                    fileName = spec;
                }
                if (!ort.InputNames.Contains(name)) throw new CliException(ExitCodes.UsageError, $"the model has no input '{name}' (inputs: {string.Join(", ", ort.InputNames)})");
                byName[name] = Npy.Read(fileName, name);
                files.Add(Path.GetFileName(fileName));
            }
            return new List<Case> { new("files " + string.Join(", ", files), byName, null) };
        }
        var random = new Dictionary<string, TensorData>();
        for (int k = 0; k < graph.Inputs.Count; k++)
        {
            var v = graph.Values[graph.Inputs[k]];
            random[v.Name] = RandomTensor(v.Name, v.Type, v.RequireShape, seed + k);
        }
        return new List<Case> { new($"random inputs (seed {seed.ToString(CultureInfo.InvariantCulture)})", random, null) };
    }

    /// <summary>Seeded values that are never all zero: floats in [-1, 1), integers in [0, 4), booleans.</summary>
    public static TensorData RandomTensor(string name, DataType type, int[] shape, int seed)
    {
        var rng = new Random(seed);
        if (DataTypes.IsHalf(type))
        {
            var half = new float[Shape.ElementsInt(shape)];
            for (int i = 0; i < half.Length; i++) half[i] = HalfArrays.Round(type, rng.NextDouble() * 2 - 1);
            if (half.Length > 0 && half.All(v => v == 0)) half[0] = 1;
            return new TensorData(name, type, shape, half);
        }
        var t = Tensor.Create(type, shape);
        for (int i = 0; i < t.Length; i++)
            t.Set(i, DataTypes.IsFloat(type) ? rng.NextDouble() * 2 - 1 : type == DataType.Bool ? rng.Next(2) : rng.Next(4));
        if (t.Length > 0 && Enumerable.Range(0, t.Length).All(i => t.GetDouble(i) == 0)) t.Set(0, 1);
        return new TensorData(name, type, shape, t.Data);
    }

    /// <summary>Every ONNX Runtime input: the case's data in the compiled model's type and shape, and inputs bound by --constant-inputs.</summary>
    private static List<TensorData> Feeds(Graph graph, OrtModel ort, Dictionary<string, TensorData> data)
    {
        var feeds = new List<TensorData>();
        foreach (var name in ort.InputNames)
        {
            var v = graph.Values.TryGetValue(name, out var value) ? value : null;
            if (v?.Constant is { } constant && !graph.Inputs.Contains(name))
            {
                feeds.Add(new TensorData(name, constant.Type, constant.Shape, constant.Data));
                continue;
            }
            if (!data.TryGetValue(name, out var t))
                throw new CliException(ExitCodes.UsageError, $"no data for input '{name}'");
            if (v is null || !v.IsKnown) { feeds.Add(t); continue; }
            if (t.Data.Length != Shape.Elements(v.RequireShape))
                throw new CliException(ExitCodes.UsageError, $"input '{name}' has shape {Shape.Format(t.Shape)} ({t.Data.Length} elements), but the compiled model takes {DataTypes.Name(v.Type)} {Shape.Format(v.RequireShape)}");
            feeds.Add(t.As(v.Type) with { Shape = v.RequireShape });
        }
        foreach (var name in graph.Inputs)
            if (!feeds.Any(f => f.Name == name)) throw new CliException(ExitCodes.UsageError, $"no data for input '{name}'");
        return feeds;
    }

    /// <summary>
    /// Runs batches until at least 40 calls and 0.3 s (or 5 s in all), so caches, the arena and (in hosts that tier, like a
    /// test runner; eai itself JITs fully optimized) the JIT reach their steady state before timing.
    /// </summary>
    internal static void WarmUp(Func<int, double[]> batch)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        int calls = 0;
        while (true)
        {
            calls += batch(Math.Min(10, calls + 1)).Length; // batches of 1, 2, 4, 8, 10...: a slow model stops near 5 s
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            if ((calls >= 40 && elapsed >= 0.3) || elapsed >= 5) break;
        }
        System.Threading.Thread.Sleep(100); // let a background tier-1 compile land
    }

    internal static double Median(double[] values)
    {
        var sorted = values.OrderBy(x => x).ToArray();
        int n = sorted.Length;
        return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static string G(double v) => v.ToString("G3", CultureInfo.InvariantCulture);

    private static string Stats(ErrorStats s, double rtol, double atol) =>
        $"max abs {G(s.MaxAbs)}, max rel {G(s.MaxRel)}, cosine {s.Cosine.ToString("F6", CultureInfo.InvariantCulture)}: " +
        (s.Within ? "ok" : $"FAIL ({s.Mismatches.ToString(CultureInfo.InvariantCulture)} of {s.Elements.ToString(CultureInfo.InvariantCulture)} elements outside atol {G(atol)} + rtol {G(rtol)})");

    private static void WriteText(TextWriter o, string model, string className, double rtol, double atol, List<CaseResult> results, Latency? latency, bool ok)
    {
        o.WriteLine($"{model}: generated {className} vs ONNX Runtime (rtol {G(rtol)}, atol {G(atol)})");
        foreach (var c in results)
        {
            o.WriteLine(c.Source + ":");
            foreach (var r in c.Outputs)
            {
                o.WriteLine($"  output '{r.Name}' {r.DataType} {Shape.Format(r.Shape)}");
                o.WriteLine("    vs ONNX Runtime: " + Stats(r.VsOrt, rtol, atol));
                if (r.VsExpected is { } e) o.WriteLine("    vs expected:     " + Stats(e, rtol, atol));
            }
        }
        if (latency is { } l)
            o.WriteLine($"latency (median of {l.Runs}): generated {l.GeneratedMs.ToString("F4", CultureInfo.InvariantCulture)} ms, ONNX Runtime {l.OrtMs.ToString("F4", CultureInfo.InvariantCulture)} ms, generated/ORT {(l.GeneratedMs / l.OrtMs).ToString("F2", CultureInfo.InvariantCulture)}");
        int failed = results.Sum(c => c.Outputs.Count(r => !r.VsOrt.Within || !(r.VsExpected?.Within ?? true)));
        int total = results.Sum(c => c.Outputs.Count);
        o.WriteLine(ok ? $"PASS: {total} output{(total == 1 ? "" : "s")} within tolerance" : $"FAIL: {failed} of {total} outputs outside tolerance");
    }

    private static void Number(Utf8JsonWriter w, string name, double v)
    {
        // JSON has no NaN or infinity: those are written as strings.
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteString(name, v.ToString(CultureInfo.InvariantCulture));
    }

    private static void WriteStats(Utf8JsonWriter w, string name, ErrorStats? s)
    {
        if (s is null) { w.WriteNull(name); return; }
        w.WriteStartObject(name);
        Number(w, "maxAbsError", s.MaxAbs);
        Number(w, "maxRelError", s.MaxRel);
        Number(w, "cosine", s.Cosine);
        w.WriteNumber("mismatches", s.Mismatches);
        w.WriteNumber("elements", s.Elements);
        w.WriteBoolean("withinTolerance", s.Within);
        w.WriteEndObject();
    }

    private static void WriteJson(TextWriter o, string path, string className, double rtol, double atol, List<CaseResult> results, Latency? latency, int exit)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", Path.GetFileName(path));
            w.WriteString("className", className);
            w.WriteBoolean("ok", exit == ExitCodes.Ok);
            w.WriteNumber("exitCode", exit);
            Number(w, "rtol", rtol);
            Number(w, "atol", atol);
            w.WriteStartArray("cases");
            foreach (var c in results)
            {
                w.WriteStartObject();
                w.WriteString("source", c.Source);
                w.WriteStartArray("outputs");
                foreach (var r in c.Outputs)
                {
                    w.WriteStartObject();
                    w.WriteString("name", r.Name);
                    w.WriteString("dataType", r.DataType);
                    w.WriteStartArray("shape");
                    foreach (var d in r.Shape) w.WriteNumberValue(d);
                    w.WriteEndArray();
                    WriteStats(w, "vsOnnxRuntime", r.VsOrt);
                    WriteStats(w, "vsExpected", r.VsExpected);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (latency is { } l)
            {
                w.WriteStartObject("latency");
                w.WriteNumber("runs", l.Runs);
                Number(w, "generatedMs", l.GeneratedMs);
                Number(w, "onnxRuntimeMs", l.OrtMs);
                Number(w, "ratio", l.GeneratedMs / l.OrtMs);
                w.WriteEndObject();
            }
            else w.WriteNull("latency");
            w.WriteEndObject();
        }
        o.WriteLine(Encoding.UTF8.GetString(ms.ToArray()));
    }

    private static void WriteCompileFailure(TextWriter o, string path, ModelCompiler.Result result)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", Path.GetFileName(path));
            w.WriteBoolean("ok", false);
            w.WriteNumber("exitCode", ExitCodes.ModelError);
            w.WriteStartArray("diagnostics");
            foreach (var d in result.Output.Diagnostics.Where(d => d.IsError))
            {
                w.WriteStartObject();
                w.WriteString("id", d.Id);
                w.WriteString("message", d.Format());
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        o.WriteLine(Encoding.UTF8.GetString(ms.ToArray()));
    }
}
