using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace EfficientAI.Codegen.Emit;

/// <summary>Turns untrusted ONNX names into unique, valid C# identifiers.</summary>
internal sealed class Identifiers
{
    private readonly HashSet<string> _used;

    public Identifiers(IEnumerable<string> reserved) => _used = new HashSet<string>(reserved);

    /// <summary>"onnx::Flatten_0" -> "onnx__Flatten_0"; "39" -> "_39"; "class" -> "class_"; duplicates get a numeric suffix.</summary>
    public string Unique(string name)
    {
        var baseName = Sanitize(name);
        var candidate = baseName;
        for (int i = 2; !_used.Add(candidate); i++) candidate = baseName + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return candidate;
    }

    public static string Sanitize(string name)
    {
        var sb = new StringBuilder();
        foreach (var ch in name) sb.Append(ch < 128 && (char.IsLetterOrDigit(ch) || ch == '_') ? ch : '_');
        if (sb.Length == 0 || char.IsDigit(sb[0])) sb.Insert(0, '_');
        var s = sb.ToString();
        if (SyntaxFacts.GetKeywordKind(s) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(s) != SyntaxKind.None) s += "_";
        return s;
    }

    /// <summary>"onnx_Flatten_0" -> "OnnxFlatten0".</summary>
    public static string Pascal(string identifier)
    {
        var sb = new StringBuilder();
        bool upper = true;
        foreach (var ch in identifier)
        {
            if (ch == '_' || ch == '@') { upper = true; continue; }
            sb.Append(upper ? char.ToUpperInvariant(ch) : ch);
            upper = false;
        }
        if (sb.Length == 0 || char.IsDigit(sb[0])) sb.Insert(0, 'T');
        return sb.ToString();
    }
}
