using System.CommandLine;
using System.IO;
using EfficientAI.Codegen.Emit;

namespace EfficientAI.Cli.Commands;

/// <summary>eai report MODEL: the build report (per layer MACs, weights, arena placement; ROM/RAM/MAC totals).</summary>
internal static class ReportCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = ctx.ModelArgument();
        var format = new Option<string>("--format", "-f") { Description = "text, json, md or html.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong(ModelReport.Formats);
        var output = new Option<string?>("--output", "-o") { Description = "Write the report to this file instead of stdout.", HelpName = "file" };
        var command = new Command("report", "Compile the model and print the build report: per layer the op, output shape, MACs, weight bytes, arena offset and size, fused ops; totals ROM, RAM (arena vs lower bound vs no reuse) and MACs.");
        command.Arguments.Add(model);
        command.Options.Add(format);
        command.Options.Add(output);
        ctx.ModelOptions.AddTo(command);
        command.SetAction(parse => ctx.Guard(parse, () =>
        {
            var file = ModelSession.Read(parse.GetValue(model)!);
            var result = ModelSession.Compile(file, ctx.ModelOptions.Read(parse, file.Path));
            if (ModelSession.ReportErrors(result, ctx.Error)) return ExitCodes.ModelError;
            var text = result.Report!.Write(parse.GetValue(format)!);
            if (parse.GetValue(output) is { } path)
            {
                try { File.WriteAllText(path, text); }
                catch (System.Exception e) when (e is IOException or System.UnauthorizedAccessException) { throw new CliException(ExitCodes.UsageError, $"cannot write '{path}': {e.Message}"); }
            }
            else ctx.Out.Write(text);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
