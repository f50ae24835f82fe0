using System.IO;

namespace EfficientAI.Cli;

/// <summary>One status line on stderr, rewritten in place, only when stdout is a terminal (quiet when redirected).</summary>
internal sealed class Progress
{
    private readonly TextWriter _error;
    private readonly bool _enabled;
    private bool _shown;

    public Progress(TextWriter error, bool enabled)
    {
        _error = error;
        _enabled = enabled;
    }

    public void Step(string message)
    {
        if (!_enabled) return;
        _error.Write("\r\u001b[K" + message + "...");
        _error.Flush();
        _shown = true;
    }

    public void Clear()
    {
        if (!_shown) return;
        _error.Write("\r\u001b[K");
        _error.Flush();
        _shown = false;
    }
}
