using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using EfficientAI.Codegen.Onnx;

namespace EfficientAI.Distill;

/// <summary>The .npy files the tool reads: float32 samples [N, ...] (the generator's reader) and int64/int32 labels [N].</summary>
internal static partial class DataFiles
{
    /// <summary>A float32 .npy file, or a folder: every .npy in it (name order), concatenated along the first axis.</summary>
    public static (int[] Shape, float[] Data) ReadSamples(string path, string what)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path, "*.npy").OrderBy(f => f, StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new DistillException(ExitCodes.UsageError, $"{what} folder '{path}' holds no .npy file");
            var parts = files.Select(f => ReadSamples(f, what)).ToList();
            var tail = parts[0].Shape.Skip(1).ToArray();
            for (int i = 1; i < parts.Count; i++)
                if (!parts[i].Shape.Skip(1).SequenceEqual(tail))
                    throw new DistillException(ExitCodes.UsageError, $"{what}: '{Path.GetFileName(files[i])}' has shape [{string.Join(",", parts[i].Shape)}], '{Path.GetFileName(files[0])}' [{string.Join(",", parts[0].Shape)}]; the sample shapes must agree");
            return (new[] { parts.Sum(p => p.Shape[0]) }.Concat(tail).ToArray(), parts.SelectMany(p => p.Data).ToArray());
        }
        var bytes = ReadFile(path, what);
        try
        {
            var (shape, data) = NpyReader.Read(bytes);
            if (shape.Length < 2) throw new DistillException(ExitCodes.UsageError, $"{what} '{path}' has shape [{string.Join(",", shape)}]; expected [N, ...the teacher's input dims]");
            if (data.Any(v => !float.IsFinite(v))) throw new DistillException(ExitCodes.UsageError, $"{what} '{path}' holds NaN or infinite values");
            return (shape, data);
        }
        catch (NpyReader.NpyException e)
        {
            throw new DistillException(ExitCodes.UsageError, $"{what} '{path}': {e.Message}");
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")] private static partial Regex DescrPattern();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")] private static partial Regex ShapePattern();
    [GeneratedRegex(@"'fortran_order'\s*:\s*True")] private static partial Regex FortranPattern();

    /// <summary>Class labels: a 1-D .npy of int64 or int32, each in [0, classes).</summary>
    public static int[] ReadLabels(string path, string what, int classes)
    {
        var bytes = ReadFile(path, what);
        string Fail(string why) => throw new DistillException(ExitCodes.UsageError, $"{what} '{path}': {why}");
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY") Fail("not a .npy file (no \\x93NUMPY magic)");
        int headerLength, start;
        if (bytes[6] == 1) (headerLength, start) = (bytes[8] | bytes[9] << 8, 10);
        else if (bytes[6] is 2 or 3 && bytes.Length >= 12) (headerLength, start) = (BitConverter.ToInt32(bytes, 8), 12);
        else { Fail($".npy version {bytes[6]} is not read"); return null!; }
        if (headerLength < 0 || headerLength > bytes.Length - start) Fail("the .npy header is truncated");
        var header = Encoding.ASCII.GetString(bytes, start, headerLength);
        var descr = DescrPattern().Match(header) is { Success: true } d ? d.Groups[1].Value : Fail("the .npy header has no 'descr'");
        if (FortranPattern().IsMatch(header)) Fail("stored in Fortran order");
        var shapeText = ShapePattern().Match(header) is { Success: true } s ? s.Groups[1].Value : Fail("the .npy header has no 'shape'");
        var dims = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1).ToArray();
        if (dims.Length != 1 || dims[0] < 0) Fail($"shape ({shapeText}); labels are one dimension [N]");
        int width = descr switch { "<i8" => 8, "<i4" => 4, _ => 0 };
        if (width == 0) Fail($"dtype '{descr}'; labels must be int64 ('<i8') or int32 ('<i4')");
        long n = dims[0];
        if (bytes.Length - start - headerLength != n * width) Fail($"the header announces {n} labels ({n * width} bytes) but the file has {bytes.Length - start - headerLength} bytes of data");
        var labels = new int[n];
        int offset = start + headerLength;
        for (int i = 0; i < n; i++)
        {
            long v = width == 8 ? BitConverter.ToInt64(bytes, offset + 8 * i) : BitConverter.ToInt32(bytes, offset + 4 * i);
            if (v < 0 || v >= classes) Fail($"label {v} at index {i} is outside the teacher's {classes} classes [0, {classes})");
            labels[i] = (int)v;
        }
        return labels;
    }

    private static byte[] ReadFile(string path, string what)
    {
        if (!File.Exists(path)) throw new DistillException(ExitCodes.UsageError, $"{what} '{path}' does not exist");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DistillException(ExitCodes.UsageError, $"{what} '{path}' cannot be read: {e.Message}");
        }
    }
}
