// Throwing from a separate non-inlined method keeps the kernels' hot paths small.
using System;
using System.Diagnostics.CodeAnalysis;

namespace EfficientAI.Runtime;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Argument(string message) => throw new ArgumentException(message);
}
