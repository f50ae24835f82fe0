using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using EfficientAI.Cli.Validation;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Cli.Commands;

/// <summary>
/// eai profile MODEL: compiles the model with a timestamp before every node, runs it on seeded random inputs, and prints
/// each node's time (the minimum over the runs, robust to a busy machine) and the totals per op, slowest first.
/// </summary>
internal static class ProfileCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = ctx.ModelArgument();
        var runs = new Option<int>("--runs") { Description = "Profiled runs; each node reports its fastest.", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { Description = "Seed of the random inputs (floats in [-1,1), integers in [0,4), never all zero).", DefaultValueFactory = _ => 1 };
        var top = new Option<int>("--top") { Description = "Nodes to list, slowest first (0: all, in graph order).", DefaultValueFactory = _ => 20 };
        var command = new Command("profile", "Compile the model with a timestamp before every node, run it, and print per node and per op the fastest time over the runs.");
        command.Arguments.Add(model);
        foreach (var o in new Option[] { runs, seed, top }) command.Options.Add(o);
        ctx.ModelOptions.AddTo(command);
        command.SetAction(parse => ctx.Guard(parse, () =>
        {
            if (parse.GetValue(runs) <= 0) throw new CliException(ExitCodes.UsageError, "--runs must be positive");
            if (parse.GetValue(top) < 0) throw new CliException(ExitCodes.UsageError, "--top must not be negative");
            return Run(ctx, parse, parse.GetValue(model)!, parse.GetValue(runs), parse.GetValue(seed), parse.GetValue(top));
        }));
        return command;
    }

    private static int Run(CliContext ctx, ParseResult parse, string path, int runs, int seed, int top)
    {
        var file = ModelSession.Read(path);
        var options = ctx.ModelOptions.Read(parse, file.Path);
        var result = ModelSession.Compile(file, options, profiler: GeneratedModel.ProfilerName);
        if (ModelSession.ReportErrors(result, ctx.Error)) return ExitCodes.ModelError;
        var graph = result.Graph!;
        var inputs = graph.Inputs.Select(n => graph.Values[n]).ToList();
        var outputs = graph.Outputs.Select(n => graph.Values[n]).ToList();
        var nodes = result.ProfiledNodes;
        var generated = GeneratedModel.Load(result.Output.Sources, options.Namespace + "." + options.ClassName, inputs.Select(v => v.Type).ToList(),
            outputs.Select(v => (v.Type, Shape.ElementsInt(v.RequireShape))).ToList(), nodes.Count);
        var data = inputs.Select((v, k) => ValidateCommand.RandomTensor(v.Name, v.Type, v.RequireShape, seed + k).Data).ToArray();
        ValidateCommand.WarmUp(n => generated.Time(data, n));
        var times = generated.Profile(data, runs);
        double median = ValidateCommand.Median(generated.Time(data, Math.Min(runs, 100))) * 1000;

        string Us(double v) => v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
        var o = ctx.Out;
        double sum = times.Sum();
        o.WriteLine($"{Path.GetFileName(file.Path)}: {nodes.Count} nodes, fastest of {runs} runs each; sum {Us(sum)} us, median call {Us(median)} us (with the timestamps)");
        o.WriteLine();
        o.WriteLine($"{"op",-28} {"us",10} {"share",7} {"nodes",6}");
        foreach (var g in nodes.Select((n, i) => (Op: n.Split(' ')[0], Time: times[i])).GroupBy(p => p.Op)
            .Select(g => (g.Key, Time: g.Sum(p => p.Time), Count: g.Count())).OrderByDescending(g => g.Time).ThenBy(g => g.Key, StringComparer.Ordinal))
            o.WriteLine($"{g.Key,-28} {Us(g.Time),10} {((sum > 0 ? g.Time / sum : 0) * 100).ToString("F1", CultureInfo.InvariantCulture) + "%",7} {g.Count,6}");
        o.WriteLine();
        var listed = Enumerable.Range(0, nodes.Count);
        if (top > 0) listed = listed.OrderByDescending(i => times[i]).ThenBy(i => i).Take(top);
        o.WriteLine(top > 0 ? $"slowest {Math.Min(top, nodes.Count)} nodes:" : "nodes in graph order:");
        foreach (int i in listed) o.WriteLine($"{Us(times[i]),10} us  {nodes[i]}");
        return ExitCodes.Ok;
    }
}
