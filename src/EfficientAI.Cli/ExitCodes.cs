namespace EfficientAI.Cli;

/// <summary>The process exit codes, as docs/cli.md lists them.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked (validate: every output within tolerance).</summary>
    public const int Ok = 0;
    /// <summary>validate: some output is outside tolerance.</summary>
    public const int OutOfTolerance = 1;
    /// <summary>The model cannot be read or compiled: EAI diagnostics are printed.</summary>
    public const int ModelError = 2;
    /// <summary>Bad command line or bad data files (inputs, test data).</summary>
    public const int UsageError = 3;
    /// <summary>A bug in eai or in generated code (an unexpected exception).</summary>
    public const int InternalError = 4;
}

/// <summary>An error the user can fix, reported as one line with an exit code (no stack trace).</summary>
internal sealed class CliException : System.Exception
{
    public CliException(int exitCode, string message) : base(message) => ExitCode = exitCode;

    public int ExitCode { get; }
}
