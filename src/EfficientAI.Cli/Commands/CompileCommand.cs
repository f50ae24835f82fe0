using System;
using System.CommandLine;
using System.Globalization;
using System.IO;

namespace EfficientAI.Cli.Commands;

/// <summary>eai compile MODEL -o DIR: writes the generated C# files for reading.</summary>
internal static class CompileCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = ctx.ModelArgument();
        var output = new Option<string>("--output", "-o") { Description = "The folder to write the generated .cs files to (created if missing).", Required = true, HelpName = "dir" };
        var command = new Command("compile", "Compile the model and write the generated C# files (the class and its weights), exactly as the build generates them.");
        command.Arguments.Add(model);
        command.Options.Add(output);
        ctx.ModelOptions.AddTo(command);
        command.SetAction(parse => ctx.Guard(parse, () =>
        {
            var progress = new Progress(ctx.Error, ctx.Interactive);
            var file = ModelSession.Read(parse.GetValue(model)!);
            progress.Step("compiling " + Path.GetFileName(file.Path));
            var result = ModelSession.Compile(file, ctx.ModelOptions.Read(parse, file.Path));
            progress.Clear();
            if (ModelSession.ReportErrors(result, ctx.Error)) return ExitCodes.ModelError;
            var dir = parse.GetValue(output)!;
            try
            {
                Directory.CreateDirectory(dir);
                foreach (var source in result.Output.Sources)
                {
                    var path = Path.Combine(dir, source.HintName);
                    File.WriteAllText(path, source.Text);
                    ctx.Out.WriteLine($"wrote {path} ({source.Text.Length.ToString("N0", CultureInfo.InvariantCulture)} chars)");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.UsageError, $"cannot write to '{dir}': {e.Message}");
            }
            ctx.Out.WriteLine(ModelSession.Summary(result));
            return ExitCodes.Ok;
        }));
        return command;
    }
}
