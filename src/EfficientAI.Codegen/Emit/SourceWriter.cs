using System;
using System.Globalization;
using System.Text;

namespace EfficientAI.Codegen.Emit;

/// <summary>An indenting text writer for generated C#. Always "\n" line ends and invariant formatting.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    public void Line(string text = "")
    {
        if (text.Length > 0) _sb.Append(' ', _indent * 4).Append(text);
        _sb.Append('\n');
    }

    public void Open(string header)
    {
        if (header.Length > 0) Line(header);
        Line("{");
        _indent++;
    }

    public void Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
    }

    /// <summary>Appends text that is already indented and ends with a newline.</summary>
    public void Raw(string text) => _sb.Append(text);

    /// <summary>The indentation of the current level, for multi-line literals.</summary>
    public string Indentation => new(' ', _indent * 4);

    public void Indent() => _indent++;
    public void Outdent() => _indent--;

    public override string ToString() => _sb.ToString();
}

/// <summary>Invariant, round-trip literals for generated code.</summary>
internal static class Literal
{
    public static string Float(float v)
    {
        if (float.IsNaN(v)) return "float.NaN";
        if (float.IsPositiveInfinity(v)) return "float.PositiveInfinity";
        if (float.IsNegativeInfinity(v)) return "float.NegativeInfinity";
        if (v == 0 && float.IsNegativeInfinity(1f / v)) return "-0f";
        var s = v.ToString("R", CultureInfo.InvariantCulture);
        return s + "f";
    }

    public static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

    public static string Double(double v)
    {
        if (double.IsNaN(v)) return "double.NaN";
        if (double.IsPositiveInfinity(v)) return "double.PositiveInfinity";
        if (double.IsNegativeInfinity(v)) return "double.NegativeInfinity";
        if (v == 0 && double.IsNegativeInfinity(1d / v)) return "-0d";
        return v.ToString("R", CultureInfo.InvariantCulture) + "d";
    }

    public static string Bool(bool v) => v ? "true" : "false";

    /// <summary>A C# string literal with everything outside printable ASCII escaped.</summary>
    public static string String(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var ch in s)
        {
            if (ch == '"') sb.Append("\\\"");
            else if (ch == '\\') sb.Append("\\\\");
            else if (ch < 32 || ch > 126) sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append(ch);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Text safe inside a // comment or an XML doc comment: printable ASCII only, no XML specials.</summary>
    public static string Comment(string s)
    {
        var sb = new StringBuilder();
        foreach (var ch in s)
        {
            if (ch < 32 || ch > 126) sb.Append('?');
            else if (ch == '<') sb.Append("&lt;");
            else if (ch == '>') sb.Append("&gt;");
            else if (ch == '&') sb.Append("&amp;");
            else sb.Append(ch);
        }
        return sb.ToString();
    }
}
