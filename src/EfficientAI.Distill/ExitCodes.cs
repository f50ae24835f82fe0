namespace EfficientAI.Distill;

/// <summary>The process exit codes, as docs/distillation.md lists them.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The teacher cannot be loaded or run, or a student cannot be compiled.</summary>
    public const int ModelError = 2;
    /// <summary>Bad command line, student spec or data files (missing, wrong dtype, shapes that do not match the teacher).</summary>
    public const int UsageError = 3;
    /// <summary>A bug (an unexpected exception).</summary>
    public const int InternalError = 4;
}

/// <summary>An error the user can fix: one line and an exit code, no stack trace.</summary>
internal sealed class DistillException : System.Exception
{
    public DistillException(int exitCode, string message) : base(message) => ExitCode = exitCode;

    public int ExitCode { get; }
}
