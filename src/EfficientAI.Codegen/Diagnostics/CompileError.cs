using System;
using Microsoft.CodeAnalysis;

namespace EfficientAI.Codegen.Diagnostics;

/// <summary>
/// Thrown inside the compiler to stop compiling a model with a diagnostic. The message is the detail
/// ({1} of most descriptors); the model path is filled in by <see cref="ModelCompiler"/>.
/// </summary>
internal sealed class CompileError : Exception
{
    public CompileError(DiagnosticDescriptor descriptor, string detail) : base(detail) => Descriptor = descriptor;

    public CompileError(DiagnosticDescriptor descriptor, string[] arguments) : base(string.Join(", ", arguments))
    {
        Descriptor = descriptor;
        Arguments = arguments;
    }

    public DiagnosticDescriptor Descriptor { get; }

    /// <summary>Message arguments after the model path; null means { Message }.</summary>
    public string[]? Arguments { get; }
}
