using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using EfficientAI.Codegen;

namespace EfficientAI.Cli.Commands;

/// <summary>eai compile MODEL -o DIR: writes the generated C# files for reading; --qdq-out FILE writes the compiled graph as a QDQ ONNX model.</summary>
internal static class CompileCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = ctx.ModelArgument();
        var output = new Option<string>("--output", "-o") { Description = "The folder to write the generated .cs files to (created if missing).", HelpName = "dir" };
        var qdqOut = new Option<string>("--qdq-out")
        {
            Description = "Also write the compiled graph as an ONNX model, its int8 layers (Quantize=int8) in QuantizeLinear/DequantizeLinear form with the very scales and int8 weights the generated code uses, for ONNX Runtime to run.",
            HelpName = "file",
        };
        var command = new Command("compile", "Compile the model and write the generated C# files (the class and its weights), exactly as the build generates them.");
        command.Arguments.Add(model);
        command.Options.Add(output);
        command.Options.Add(qdqOut);
        ctx.ModelOptions.AddTo(command);
        command.SetAction(parse => ctx.Guard(parse, () =>
        {
            var dir = parse.GetValue(output);
            var qdqPath = parse.GetValue(qdqOut);
            if (dir is null && qdqPath is null) throw new CliException(ExitCodes.UsageError, "give --output DIR (the generated C#), --qdq-out FILE (the QDQ ONNX model), or both");
            var progress = new Progress(ctx.Error, ctx.Interactive);
            var file = ModelSession.Read(parse.GetValue(model)!);
            progress.Step("compiling " + Path.GetFileName(file.Path));
            var result = ModelSession.Compile(file, ctx.ModelOptions.Read(parse, file.Path));
            progress.Clear();
            if (ModelSession.ReportErrors(result, ctx.Error)) return ExitCodes.ModelError;
            if (qdqPath is not null)
            {
                var (qdq, refused) = ModelCompiler.ExportQdq(result, file.Path);
                if (refused is not null)
                {
                    ctx.Error.WriteLine(refused.Format());
                    return ExitCodes.ModelError;
                }
                Write(qdqPath, () => File.WriteAllBytes(qdqPath, qdq!));
                ctx.Out.WriteLine($"wrote {qdqPath} ({qdq!.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes)");
            }
            if (dir is not null) Write(dir, () =>
            {
                Directory.CreateDirectory(dir);
                foreach (var source in result.Output.Sources)
                {
                    var path = Path.Combine(dir, source.HintName);
                    File.WriteAllText(path, source.Text);
                    ctx.Out.WriteLine($"wrote {path} ({source.Text.Length.ToString("N0", CultureInfo.InvariantCulture)} chars)");
                }
            });
            ctx.Out.WriteLine(ModelSession.Summary(result));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Write(string target, Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.UsageError, $"cannot write to '{target}': {e.Message}");
        }
    }
}
