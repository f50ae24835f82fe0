using System;
using System.CommandLine;
using System.IO;
using EfficientAI.Cli.Commands;

namespace EfficientAI.Cli;

/// <summary>What every command shares: the output streams, the model options and --verbose.</summary>
internal sealed class CliContext
{
    public CliContext(TextWriter output, TextWriter error, bool interactive)
    {
        Out = output;
        Error = error;
        Interactive = interactive;
    }

    public TextWriter Out { get; }
    public TextWriter Error { get; }
    /// <summary>stdout is a terminal: progress may be shown.</summary>
    public bool Interactive { get; }
    public ModelOptionArguments ModelOptions { get; } = new();
    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Print stack traces and informational diagnostics.", Recursive = true };

    public Argument<string> ModelArgument() => new("model") { Description = "The ONNX model file." };

    /// <summary>Runs a command body: user errors become one line and an exit code, anything else a short internal error (stack with --verbose).</summary>
    public int Guard(ParseResult parse, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (CliException e)
        {
            Error.WriteLine("error: " + e.Message);
            return e.ExitCode;
        }
        catch (Exception e)
        {
            Error.WriteLine($"error: internal error in eai: {e.GetType().Name}: {e.Message}" + (parse.GetValue(Verbose) ? "" : " (--verbose shows the stack trace)"));
            if (parse.GetValue(Verbose)) Error.WriteLine(e.ToString());
            return ExitCodes.InternalError;
        }
    }
}

/// <summary>The eai command line: inspect, report, compile, validate.</summary>
public static class EaiApp
{
    /// <summary>Runs eai with these arguments; returns the exit code. In-process and re-entrant (tests call it directly).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, bool interactive = false)
    {
        var ctx = new CliContext(output, error, interactive);
        var root = new RootCommand("eai: inspect, report, compile, validate and profile ONNX models with the EfficientAI.Codegen compiler (the same one the build runs).");
        root.Options.Add(ctx.Verbose);
        root.Subcommands.Add(InspectCommand.Create(ctx));
        root.Subcommands.Add(ReportCommand.Create(ctx));
        root.Subcommands.Add(CompileCommand.Create(ctx));
        root.Subcommands.Add(ValidateCommand.Create(ctx));
        root.Subcommands.Add(ProfileCommand.Create(ctx));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) error.WriteLine("error: " + e.Message);
            error.WriteLine("Run 'eai --help' (or 'eai COMMAND --help') for usage.");
            return ExitCodes.UsageError;
        }
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }
}
