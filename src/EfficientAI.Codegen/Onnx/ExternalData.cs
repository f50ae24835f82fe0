using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Onnx.Proto;
using Google.Protobuf;

namespace EfficientAI.Codegen.Onnx;

/// <summary>
/// Tensors whose bytes live in a file beside the model (data_location = EXTERNAL, with location/offset/length
/// entries). The location is untrusted: only files inside the model's own folder are read; absolute paths,
/// <c>..</c> and links that lead outside it are refused, and nothing is read before its range is checked.
/// </summary>
internal static class ExternalData
{
    /// <summary>Reads every external tensor of the model (subgraphs and Constant nodes included) into its raw_data.</summary>
#pragma warning disable RS1035 // File IO: external tensor data is part of the model the user added.
    public static void Inline(ModelProto model, string modelPath)
    {
        var external = Tensors(model.Graph).Where(t => t.DataLocation == TensorProto.Types.DataLocation.External).ToList();
        if (external.Count == 0) return;
        var folder = Path.GetFullPath(Path.GetDirectoryName(modelPath) is { Length: > 0 } d ? d : ".");
        var streams = new Dictionary<string, FileStream>(StringComparer.Ordinal);
        try
        {
            foreach (var t in external)
            {
                var entries = t.ExternalData.GroupBy(e => e.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
                if (!entries.TryGetValue("location", out var location)) Refuse(t, "has no 'location' entry");
                var path = Resolve(folder, location!, t);
                if (!streams.TryGetValue(path, out var stream))
                {
                    try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read); }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Refuse(t, $"cannot open its data file '{location}': {e.Message}"); }
                    streams[path] = stream!;
                }
                long offset = Number(entries, "offset", 0, t);
                long length = Number(entries, "length", stream!.Length - offset, t);
                if (offset < 0 || length < 0 || offset > stream.Length || length > stream.Length - offset)
                    Refuse(t, $"asks for bytes [{offset}, {offset + length}) of '{location}', which has {stream.Length}");
                long limit = Limits.MaxTensorElements * 8;
                if (length > limit) throw new CompileError(DiagnosticDescriptors.LimitExceeded, $"tensor '{t.Name}' stores {length} bytes externally; the limit is {limit} (MaxTensorElements)");
                var bytes = new byte[length];
                stream.Position = offset;
                for (int read = 0; read < bytes.Length;)
                {
                    int n = stream.Read(bytes, read, bytes.Length - read);
                    if (n == 0) Refuse(t, $"'{location}' ended early");
                    read += n;
                }
                t.RawData = ByteString.CopyFrom(bytes);
                t.DataLocation = TensorProto.Types.DataLocation.Default;
                t.ExternalData.Clear();
            }
        }
        finally
        {
            foreach (var s in streams.Values) s.Dispose();
        }
    }

    /// <summary>The full path of a location, or a refusal: it must stay inside the model's folder, links included.</summary>
    private static string Resolve(string folder, string location, TensorProto t)
    {
        if (location.Length == 0) Refuse(t, "has an empty location");
        if (Path.IsPathRooted(location) || location.IndexOf(':') >= 0 || location.IndexOf('\0') >= 0)
            Refuse(t, $"names '{location}', an absolute path; external data must be a relative path inside the model's folder");
        var parts = location.Split('/', '\\');
        if (parts.Any(p => p == ".."))
            Refuse(t, $"names '{location}', which leaves the model's folder ('..'); external data must be inside the model's folder");
        var full = Path.GetFullPath(Path.Combine(folder, location));
        if (!Inside(folder, full)) Refuse(t, $"names '{location}', which is outside the model's folder");
        // A link anywhere below the folder could lead out of it: follow each one and check where it ends.
        var current = folder;
        foreach (var part in parts.Where(p => p.Length > 0 && p != "."))
        {
            current = Path.Combine(current, part);
            if (!IsLink(current)) continue;
            var target = FinalTarget(current);
            if (target is null || !Inside(folder, target))
                Refuse(t, $"names '{location}', and '{part}' is a link that leads outside the model's folder (or cannot be followed)");
        }
        return full;
    }

    private static bool Inside(string folder, string path) =>
        path.StartsWith(folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static bool IsLink(string path)
    {
        try { return (File.Exists(path) || Directory.Exists(path)) && (File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// Where a link finally leads. netstandard2.0 has no link API; the compiler runs on .NET 6+, whose
    /// FileSystemInfo.ResolveLinkTarget is found by reflection. Without it the link cannot be followed (null: refused).
    /// </summary>
    private static string? FinalTarget(string path)
    {
        var resolve = typeof(FileSystemInfo).GetMethod("ResolveLinkTarget", new[] { typeof(bool) });
        if (resolve is null) return null;
        FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        try
        {
            return resolve.Invoke(info, new object[] { true }) is FileSystemInfo target ? Path.GetFullPath(target.FullName) : null;
        }
        catch (System.Reflection.TargetInvocationException) { return null; }
    }
#pragma warning restore RS1035

    private static long Number(Dictionary<string, string> entries, string key, long fallback, TensorProto t)
    {
        if (!entries.TryGetValue(key, out var text)) return fallback;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) Refuse(t, $"has {key} '{text}', which is not a non-negative integer");
        return value;
    }

    private static void Refuse(TensorProto t, string why) =>
        throw new CompileError(DiagnosticDescriptors.ExternalDataRefused, new[] { t.Name, why });

    /// <summary>Every TensorProto of a graph: initializers, Constant values and tensor attributes, subgraphs included.</summary>
    private static IEnumerable<TensorProto> Tensors(GraphProto? graph)
    {
        if (graph is null) yield break;
        foreach (var t in graph.Initializer) yield return t;
        foreach (var s in graph.SparseInitializer) { if (s.Values is not null) yield return s.Values; if (s.Indices is not null) yield return s.Indices; }
        foreach (var node in graph.Node)
            foreach (var a in node.Attribute)
            {
                if (a.T is not null) yield return a.T;
                foreach (var t in a.Tensors) yield return t;
                foreach (var t in Tensors(a.G)) yield return t;
                foreach (var g in a.Graphs) foreach (var t in Tensors(g)) yield return t;
            }
    }
}
