using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Emit;

/// <summary>
/// Embeds constant tensors in the assembly's data section. Each tensor's bytes are packed into ulong hex
/// literals behind a ReadOnlySpan&lt;ulong&gt; property (compiled to RVA data, read with no allocation) and
/// reinterpreted with MemoryMarshal.Cast. ulong literals keep compile time and compiler memory low for large
/// models (about half of float[] and a fifth of byte[] initializers, docs/weights.md).
/// </summary>
internal sealed class WeightsWriter
{
    private readonly Dictionary<Tensor, string> _names = new(ReferenceEqualityComparer.Instance);
    private readonly List<(string Name, string Hint, Tensor Tensor)> _items = new();
    private readonly Identifiers _ids = new(Array.Empty<string>());

    public long TotalBytes { get; private set; }

    /// <summary>Registers a tensor (once per instance) and returns the expression that reads it.</summary>
    public string Add(Tensor tensor, string hint)
    {
        if (!_names.TryGetValue(tensor, out var name))
        {
            name = _ids.Unique("W_" + hint);
            _names[tensor] = name;
            _items.Add((name, hint, tensor));
            TotalBytes += (long)tensor.Length * DataTypes.Size(tensor.Type);
        }
        return "Weights." + name;
    }

    public IReadOnlyList<(string Name, long Bytes)> Largest(int count) => _items
        .Select(i => (i.Hint, (long)i.Tensor.Length * DataTypes.Size(i.Tensor.Type)))
        .OrderByDescending(i => i.Item2).ThenBy(i => i.Hint, StringComparer.Ordinal).Take(count).ToList();

    public void Write(SourceWriter w)
    {
        w.Line("/// <summary>Model constants, embedded as little-endian data.</summary>");
        w.Open("private static class Weights");
        foreach (var (name, hint, tensor) in _items)
        {
            var type = DataTypes.CSharp(tensor.Type);
            w.Line($"/// <summary>'{Literal.Comment(hint)}': {DataTypes.Name(tensor.Type)} {Shape.Format(tensor.Shape)}</summary>");
            if (tensor.Length == 0)
            {
                w.Line($"internal static global::System.ReadOnlySpan<{type}> {name} => global::System.ReadOnlySpan<{type}>.Empty;");
                continue;
            }
            var bytes = tensor.ToBytes();
            int words = (bytes.Length + 7) / 8;
            w.Line($"internal static global::System.ReadOnlySpan<{type}> {name} => global::System.Runtime.InteropServices.MemoryMarshal.Cast<ulong, {type}>({name}_Data).Slice(0, {tensor.Length});");
            var sb = new StringBuilder();
            sb.Append("private static global::System.ReadOnlySpan<ulong> ").Append(name).Append("_Data => new ulong[] {");
            for (int i = 0; i < words; i++)
            {
                if (i % 8 == 0) sb.Append('\n').Append(w.Indentation).Append("    ");
                else sb.Append(' ');
                ulong word = 0;
                for (int b = 7; b >= 0; b--)
                {
                    int at = i * 8 + b;
                    word = (word << 8) | (at < bytes.Length ? bytes[at] : (byte)0);
                }
                sb.Append("0x").Append(word.ToString("X16", CultureInfo.InvariantCulture)).Append(',');
            }
            sb.Append('\n').Append(w.Indentation).Append("};");
            w.Line(sb.ToString());
        }
        w.Close();
    }
}

/// <summary>Reference identity for tensor de-duplication (netstandard2.0 has no ReferenceEqualityComparer).</summary>
internal sealed class ReferenceEqualityComparer : IEqualityComparer<object>
{
    public static readonly ReferenceEqualityComparer Instance = new();
    public new bool Equals(object? x, object? y) => ReferenceEquals(x, y);
    public int GetHashCode(object obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
}

internal static class ThisAssembly
{
    public const string Version = "0.1.0";
}
