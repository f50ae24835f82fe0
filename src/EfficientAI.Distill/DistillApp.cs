using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using EfficientAI.Codegen;
using EfficientAI.Distill.Training;

namespace EfficientAI.Distill;

/// <summary>
/// eai-distill TEACHER.onnx --student SPEC --data FILE.npy|DIR -o STUDENT.onnx: trains the student on the teacher's soft
/// targets (and labels when given) and writes it as ONNX. eai-distill evaluate MODEL.onnx: accuracy, size, arena and
/// latency of a model's generated code (optionally int8 or pruned), for the result tables.
/// </summary>
public static class DistillApp
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Runs the tool with these arguments; returns the exit code. In-process and re-entrant (tests call it).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, bool interactive = false)
    {
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print stack traces of internal errors.", Recursive = true };
        var root = new RootCommand("eai-distill: train a small student (MLP or CNN) to mimic an ONNX teacher and write it as ONNX for the EfficientAI.Codegen compiler.");
        root.Options.Add(verbose);
        AddTrain(root, output, error, interactive, verbose);
        root.Subcommands.Add(EvaluateCommand(output, error, verbose));
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) error.WriteLine("error: " + e.Message);
            error.WriteLine("Run 'eai-distill --help' for usage.");
            return ExitCodes.UsageError;
        }
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    private static int Guard(ParseResult parse, Option<bool> verbose, TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (DistillException e)
        {
            error.WriteLine("error: " + e.Message);
            return e.ExitCode;
        }
        catch (SpecException e)
        {
            error.WriteLine("error: " + e.Message);
            return ExitCodes.UsageError;
        }
        catch (Exception e)
        {
            error.WriteLine($"error: internal error in eai-distill: {e.GetType().Name}: {e.Message}" + (parse.GetValue(verbose) ? "" : " (--verbose shows the stack trace)"));
            if (parse.GetValue(verbose)) error.WriteLine(e.ToString());
            return ExitCodes.InternalError;
        }
    }

    private static void AddTrain(RootCommand root, TextWriter output, TextWriter error, bool interactive, Option<bool> verbose)
    {
        var teacher = new Argument<string>("teacher") { Description = "The teacher ONNX model: one float input [N or 1, ...], class scores [N, classes] as its first output." };
        teacher.Arity = ArgumentArity.ZeroOrOne;
        var student = new Option<string>("--student", "-s") { Description = "The student: mlp:64-32 (hidden widths) or cnn:c8k3-p2-c16k3-p2-f32 (conv c{out}k{k}[s{stride}][p{pad}], max pool p{k}, average pool a{k}, global pool g, fully connected f{n}). The output layer is added." };
        var data = new Option<string>("--data", "-d") { Description = "Training inputs: a float32 .npy [N, ...the teacher's input dims], or a folder of them." };
        var labels = new Option<string?>("--labels") { Description = "Class labels of the training inputs: int64/int32 .npy [N]. Without them the student learns the teacher's soft targets only (alpha 1)." };
        var temperature = new Option<double>("--temperature", "-T") { Description = "Softmax temperature of the soft targets.", DefaultValueFactory = _ => 4 };
        var alpha = new Option<double>("--alpha") { Description = "Weight of the soft-target term (1 - alpha goes to cross-entropy on the labels); 0 trains on labels only.", DefaultValueFactory = _ => 0.7 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => 30 };
        var batch = new Option<int>("--batch") { Description = "Minibatch size.", DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 1e-3 };
        var seed = new Option<long>("--seed") { Description = "Seed of initialization and shuffling: the same seed gives bit-identical weights.", DefaultValueFactory = _ => 1 };
        var validation = new Option<string?>("--validation") { Description = "Held-out inputs (.npy like --data) for validation accuracy per epoch." };
        var validationLabels = new Option<string?>("--validation-labels") { Description = "Labels of --validation (.npy like --labels)." };
        var engine = new Option<string>("--teacher-engine") { Description = "What runs the teacher: ort (ONNX Runtime) or generated (the EfficientAI.Codegen compiler, in-process).", DefaultValueFactory = _ => "ort" };
        engine.AcceptOnlyFromAmong("ort", "generated");
        var outputPath = new Option<string>("--output", "-o") { Description = "Where to write the student ONNX model." };
        root.Arguments.Add(teacher);
        foreach (var o in new Option[] { student, data, labels, temperature, alpha, epochs, batch, lr, seed, validation, validationLabels, engine, outputPath }) root.Options.Add(o);
        root.SetAction(parse => Guard(parse, verbose, error, () =>
        {
            string Required(Option<string> o, string name) => parse.GetValue(o) is { Length: > 0 } v ? v : throw new DistillException(ExitCodes.UsageError, $"{name} is required (eai-distill --help)");
            var teacherPath = parse.GetValue(teacher) is { Length: > 0 } t ? t : throw new DistillException(ExitCodes.UsageError, "the teacher model is required: eai-distill TEACHER.onnx --student SPEC --data FILE.npy -o STUDENT.onnx");
            var options = new TrainingOptions(parse.GetValue(temperature), parse.GetValue(alpha), parse.GetValue(epochs), parse.GetValue(batch), parse.GetValue(lr), parse.GetValue(seed));
            return Train(output, error, interactive, teacherPath, Required(student, "--student"), Required(data, "--data"), parse.GetValue(labels),
                parse.GetValue(validation), parse.GetValue(validationLabels), parse.GetValue(engine)!, options, Required(outputPath, "--output"));
        }));
    }

    private static int Train(TextWriter output, TextWriter error, bool interactive, string teacherPath, string studentSpec, string dataPath, string? labelsPath,
        string? validationPath, string? validationLabelsPath, string engineName, TrainingOptions o, string outputPath)
    {
        if (!(o.Temperature > 0) || double.IsInfinity(o.Temperature)) throw new DistillException(ExitCodes.UsageError, "--temperature must be positive");
        if (!(o.Alpha >= 0 && o.Alpha <= 1)) throw new DistillException(ExitCodes.UsageError, "--alpha must be in [0, 1]");
        if (o.Epochs < 1) throw new DistillException(ExitCodes.UsageError, "--epochs must be at least 1");
        if (o.BatchSize < 1) throw new DistillException(ExitCodes.UsageError, "--batch must be at least 1");
        if (!(o.LearningRate > 0) || double.IsInfinity(o.LearningRate)) throw new DistillException(ExitCodes.UsageError, "--lr must be positive");
        if ((validationPath is null) != (validationLabelsPath is null)) throw new DistillException(ExitCodes.UsageError, "--validation and --validation-labels go together");
        if (o.Alpha == 0 && labelsPath is null) throw new DistillException(ExitCodes.UsageError, "--alpha 0 trains on labels only: give --labels");
        var spec = StudentSpec.Parse(studentSpec);
        if (!File.Exists(teacherPath)) throw new DistillException(ExitCodes.UsageError, $"the teacher '{teacherPath}' does not exist");
        var teacherBytes = File.ReadAllBytes(teacherPath);
        using IModelEngine engine = engineName == "generated" ? GeneratedEngine.Compile(teacherPath, teacherBytes) : new OrtEngine(teacherBytes, $"the teacher '{teacherPath}'");
        var net = spec.Build(engine.SampleShape, engine.Classes);

        var train = ReadDataset(dataPath, labelsPath, "--data", "--labels", engine);
        var val = validationPath is null ? null : ReadDataset(validationPath, validationLabelsPath!, "--validation", "--validation-labels", engine);
        output.WriteLine($"teacher {Path.GetFileName(teacherPath)} ({engineName}): input '{engine.InputName}' [{string.Join(",", engine.SampleShape)}] per sample, {engine.Classes} classes");
        output.WriteLine($"student {spec.Text}: {net.ParameterCount.ToString("N0", Inv)} parameters; {train.Count} training samples" + (val is null ? "" : $", {val.Count} validation"));

        float[]? teacherLogits = null;
        if (o.Alpha > 0 || train.Labels is null)
        {
            var watch = Stopwatch.StartNew();
            teacherLogits = engine.Run(train.X, train.Count);
            var line = $"teacher soft targets: {train.Count} samples in {watch.Elapsed.TotalSeconds.ToString("0.00", Inv)} s";
            if (train.Labels is not null) line += $"; teacher train accuracy {Percent(Agreement(teacherLogits, engine.Classes, train.Labels))}";
            if (val is not null) line += $", validation {Percent(Agreement(engine.Run(val.X, val.Count), engine.Classes, val.Labels!))}";
            output.WriteLine(line);
        }
        output.WriteLine(train.Labels is null ? $"loss: soft targets only (T {Num(o.Temperature)})"
            : teacherLogits is null ? "loss: cross-entropy on labels only (alpha 0)"
            : $"loss: {Num(o.Alpha)} * T^2 * KL at T {Num(o.Temperature)} + {Num(1 - o.Alpha)} * cross-entropy");

        var total = Stopwatch.StartNew();
        Trainer.Train(net, train, teacherLogits, val, o,
            onEpoch: r =>
            {
                if (interactive) error.Write("\r\u001b[K");
                output.WriteLine($"epoch {r.Epoch.ToString(Inv).PadLeft(r.Epochs.ToString(Inv).Length)}/{r.Epochs} {Bar(r.Epoch, r.Epochs)} loss {r.Loss.ToString("0.0000", Inv)}  " +
                    $"train {Percent(r.TrainAccuracy)}{(train.Labels is null ? " (agrees with teacher)" : "")}" + (r.ValidationAccuracy is { } v ? $"  validation {Percent(v)}" : ""));
            },
            onBatch: interactive ? (b, n) => { if (b % 4 == 0 || b == n) { error.Write($"\r\u001b[K  batch {b}/{n} {Bar(b, n)}"); error.Flush(); } } : null);
        var description = $"eai-distill student {spec.Text} of {Path.GetFileName(teacherPath)}: T {Num(o.Temperature)}, alpha {Num(teacherLogits is null ? 0 : train.Labels is null ? 1 : o.Alpha)}, " +
            $"{o.Epochs} epochs, batch {o.BatchSize}, lr {Num(o.LearningRate)}, seed {o.Seed.ToString(Inv)}";
        var bytes = StudentWriter.Write(net, engine.InputName, engine.OutputName, description);
        var folder = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        if (folder is not null) Directory.CreateDirectory(folder);
        File.WriteAllBytes(outputPath, bytes);
        output.WriteLine($"wrote {outputPath} ({bytes.Length.ToString("N0", Inv)} bytes) after {total.Elapsed.TotalSeconds.ToString("0.0", Inv)} s of training");
        return ExitCodes.Ok;
    }

    private static Dataset ReadDataset(string dataPath, string? labelsPath, string dataName, string labelsName, IModelEngine engine)
    {
        var (shape, x) = DataFiles.ReadSamples(dataPath, dataName);
        if (!shape.Skip(1).SequenceEqual(engine.SampleShape))
            throw new DistillException(ExitCodes.UsageError, $"{dataName} '{dataPath}' has shape [{string.Join(",", shape)}]; the teacher takes [N,{string.Join(",", engine.SampleShape)}]");
        if (shape[0] < 1) throw new DistillException(ExitCodes.UsageError, $"{dataName} '{dataPath}' holds no samples");
        int[]? labels = null;
        if (labelsPath is not null)
        {
            labels = DataFiles.ReadLabels(labelsPath, labelsName, engine.Classes);
            if (labels.Length != shape[0]) throw new DistillException(ExitCodes.UsageError, $"{labelsName} '{labelsPath}' has {labels.Length} labels for {shape[0]} samples in {dataName}");
        }
        return new Dataset(x, engine.SampleShape, shape[0], labels);
    }

    internal static double Agreement(float[] logits, int classes, int[] labels)
    {
        int correct = 0;
        for (int i = 0; i < labels.Length; i++) if (Trainer.ArgMax(logits.AsSpan(i * classes, classes)) == labels[i]) correct++;
        return (double)correct / labels.Length;
    }

    private static string Bar(int done, int total, int width = 20)
    {
        int filled = (int)((long)done * width / total);
        return "[" + new string('#', filled) + new string('.', width - filled) + "]";
    }

    private static string Percent(double v) => (100 * v).ToString("0.00", Inv) + "%";
    private static string Num(double v) => Math.Round(v, 9).ToString("R", Inv);

    private static Command EvaluateCommand(TextWriter output, TextWriter error, Option<bool> verbose)
    {
        var model = new Argument<string>("model") { Description = "An ONNX classifier (a student or the teacher) with input [1, ...] and output [1, classes]." };
        var data = new Option<string>("--data", "-d") { Description = "Test inputs: float32 .npy [N, ...].", Required = true };
        var labels = new Option<string>("--labels") { Description = "Test labels: int64/int32 .npy [N].", Required = true };
        var quantize = new Option<string?>("--quantize") { Description = "The generator's Quantize option (int8)." };
        var prune = new Option<string?>("--prune") { Description = "The generator's Prune option (a fraction, 0.5)." };
        var runs = new Option<int>("--runs") { Description = "Timed calls of the generated code on one sample (the median is reported).", DefaultValueFactory = _ => 2000 };
        var json = new Option<bool>("--json") { Description = "One JSON object instead of text." };
        var command = new Command("evaluate", "Compile a model with the generator (optionally int8 or pruned) and report its accuracy on test data, parameters, ROM (weights), RAM (arena) and median latency of the generated code.");
        command.Arguments.Add(model);
        foreach (var o in new Option[] { data, labels, quantize, prune, runs, json }) command.Options.Add(o);
        command.SetAction(parse => Guard(parse, verbose, error, () =>
        {
            var path = parse.GetValue(model)!;
            if (!File.Exists(path)) throw new DistillException(ExitCodes.UsageError, $"the model '{path}' does not exist");
            if (parse.GetValue(runs) < 1) throw new DistillException(ExitCodes.UsageError, "--runs must be at least 1");
            var bytes = File.ReadAllBytes(path);
            string q = parse.GetValue(quantize) ?? "", p = parse.GetValue(prune) ?? "";
            using var engine = GeneratedEngine.Compile(path, bytes, opt => opt with { Quantize = q, Prune = p });
            var test = ReadDataset(parse.GetValue(data)!, parse.GetValue(labels)!, "--data", "--labels", engine);
            double accuracy = Agreement(engine.Run(test.X, test.Count), engine.Classes, test.Labels!);
            var sample = test.X.AsSpan(0, test.SampleSize).ToArray();
            int n = parse.GetValue(runs);
            engine.Time(sample, Math.Min(n, 200)); // warm-up
            var times = engine.Time(sample, n);
            Array.Sort(times);
            double medianUs = 1000 * times[times.Length / 2];
            long parameters = ModelCompiler.Parse(bytes).Graph.Initializer.Sum(t => t.Dims.Aggregate(1L, (a, d) => a * d));
            var f = engine.Figures;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    model = Path.GetFileName(path), quantize = q, prune = p, samples = test.Count, accuracy, parameters,
                    romBytes = f.WeightBytes, ramBytes = f.ArenaBytes, macs = f.Macs, latencyUs = medianUs, runs = n,
                }));
            }
            else
            {
                output.WriteLine($"{Path.GetFileName(path)}{(q.Length > 0 ? " Quantize=" + q : "")}{(p.Length > 0 ? " Prune=" + p : "")}: accuracy {Percent(accuracy)} on {test.Count} samples");
                output.WriteLine($"  parameters {parameters.ToString("N0", Inv)}, ROM {f.WeightBytes.ToString("N0", Inv)} B, RAM (arena) {f.ArenaBytes.ToString("N0", Inv)} B, {f.Macs.ToString("N0", Inv)} MACs");
                output.WriteLine($"  generated code: median {medianUs.ToString("0.00", Inv)} us per inference ({n} calls, one thread)");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
