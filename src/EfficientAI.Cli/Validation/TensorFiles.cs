using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx;
using EfficientAI.Codegen.Onnx.Proto;
using Google.Protobuf;

namespace EfficientAI.Cli.Validation;

/// <summary>A named tensor: a typed array (float[], long[], bool[], ...) and its shape.</summary>
internal sealed record TensorData(string Name, DataType Type, int[] Shape, Array Data)
{
    /// <summary>The same values as another element type (C cast semantics), or this when it already is.</summary>
    public TensorData As(DataType type)
    {
        if (type == Type) return this;
        var source = new Tensor(Type, Shape, Data);
        if (DataTypes.IsHalf(type))
        {
            var half = new float[source.Length];
            for (int i = 0; i < half.Length; i++) half[i] = HalfArrays.Round(type, source.GetDouble(i));
            return this with { Type = type, Data = half };
        }
        var target = Tensor.Create(type, Shape);
        for (int i = 0; i < target.Length; i++) target.Set(i, source.GetDouble(i));
        return this with { Type = type, Data = target.Data };
    }
}

/// <summary>Reads NumPy .npy files (version 1-3, C order, little-endian).</summary>
internal static class Npy
{
    private static readonly byte[] s_magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    public static TensorData Read(string path, string name)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Bad(path, e.Message.TrimEnd('.')); }
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(s_magic)) throw Bad(path, "not a .npy file (no \\x93NUMPY magic)");
        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1) { headerLength = BitConverter.ToUInt16(bytes, 8); headerStart = 10; }
        else if (major is 2 or 3 && bytes.Length >= 12) { headerLength = checked((int)BitConverter.ToUInt32(bytes, 8)); headerStart = 12; }
        else throw Bad(path, $"unsupported .npy version {major}");
        if (headerStart + headerLength > bytes.Length) throw Bad(path, "truncated header");
        var header = Encoding.UTF8.GetString(bytes, headerStart, headerLength);

        var descr = Regex.Match(header, @"'descr'\s*:\s*'([^']*)'");
        var fortran = Regex.Match(header, @"'fortran_order'\s*:\s*(True|False)");
        var shapeMatch = Regex.Match(header, @"'shape'\s*:\s*\(([^)]*)\)");
        if (!descr.Success || !fortran.Success || !shapeMatch.Success) throw Bad(path, "malformed header: " + header.Trim());
        if (fortran.Groups[1].Value == "True") throw Bad(path, "Fortran-order arrays are not supported (save with np.ascontiguousarray)");
        var shape = shapeMatch.Groups[1].Value.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : throw Bad(path, $"bad shape '{shapeMatch.Groups[1].Value}'")).ToArray();

        var d0 = descr.Groups[1].Value;
        if (d0.Length < 3 || d0[0] == '>') throw Bad(path, $"unsupported dtype '{d0}' (little-endian numeric types only)");
        var (type, size) = d0.Substring(1) switch
        {
            "f4" => (DataType.Float, 4), "f8" => (DataType.Double, 8), "f2" => (DataType.Float16, 2),
            "i8" => (DataType.Int64, 8), "i4" => (DataType.Int32, 4), "i2" => (DataType.Int16, 2), "i1" => (DataType.Int8, 1),
            "u8" => (DataType.UInt64, 8), "u4" => (DataType.UInt32, 4), "u2" => (DataType.UInt16, 2), "u1" => (DataType.UInt8, 1),
            "b1" => (DataType.Bool, 1),
            _ => throw Bad(path, $"unsupported dtype '{d0}'"),
        };
        long count = shape.Aggregate(1L, (a, b) => a * b);
        int dataStart = headerStart + headerLength;
        if (bytes.Length - dataStart != count * size) throw Bad(path, $"shape {Shape.Format(shape)} of {d0} needs {count * size} data bytes, the file has {bytes.Length - dataStart}");

        if (type == DataType.Float16)
        {
            var widened = new float[count];
            for (int i = 0; i < count; i++) widened[i] = (float)BitConverter.ToHalf(bytes, dataStart + 2 * i);
            return new TensorData(name, DataType.Float, shape, widened);
        }
        Array data = Tensor.Create(type, shape).Data;
        if (data is bool[] flags) for (int i = 0; i < count; i++) flags[i] = bytes[dataStart + i] != 0;
        else Buffer.BlockCopy(bytes, dataStart, data, 0, checked((int)(count * size)));
        return new TensorData(name, type, shape, data);
    }

    private static CliException Bad(string path, string why) => new(ExitCodes.UsageError, $"cannot read '{path}': {why}");
}

/// <summary>ONNX test data: serialized TensorProto files (<c>input_0.pb</c>, <c>output_0.pb</c>) in <c>test_data_set_N</c> folders.</summary>
internal static class TestData
{
    /// <summary>One set: its folder, inputs and expected outputs in file order (input_0, input_1, ...).</summary>
    internal sealed record Set(string Folder, List<TensorData> Inputs, List<TensorData> Outputs);

    /// <summary>The sets under a folder: the folder itself when it holds input_*.pb, else its test_data_set_* subfolders in numeric order.</summary>
    public static List<Set> ReadSets(string folder)
    {
        if (!Directory.Exists(folder)) throw new CliException(ExitCodes.UsageError, $"test data folder '{folder}' does not exist");
        var folders = Directory.GetFiles(folder, "input_*.pb").Length > 0
            ? new List<string> { folder }
            : Directory.GetDirectories(folder, "test_data_set_*").OrderBy(Number).ThenBy(f => f, StringComparer.Ordinal).ToList();
        if (folders.Count == 0) throw new CliException(ExitCodes.UsageError, $"'{folder}' has neither input_*.pb files nor test_data_set_* folders");
        return folders.Select(f => new Set(f, ReadAll(f, "input_"), ReadAll(f, "output_"))).ToList();
    }

    private static List<TensorData> ReadAll(string folder, string prefix) =>
        Directory.GetFiles(folder, prefix + "*.pb").OrderBy(Number).ThenBy(f => f, StringComparer.Ordinal).Select(Read).ToList();

    private static long Number(string path)
    {
        var m = Regex.Match(Path.GetFileNameWithoutExtension(path), @"(\d+)$");
        return m.Success && long.TryParse(m.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue;
    }

    public static TensorData Read(string path)
    {
        try
        {
            var proto = TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));
            var t = TensorReader.Read(proto);
            return new TensorData(proto.Name, t.Type, t.Shape, t.Data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidProtocolBufferException or CompileError or InvalidOperationException or ArgumentException)
        {
            throw new CliException(ExitCodes.UsageError, $"cannot read tensor '{path}': {e.Message.TrimEnd('.')}");
        }
    }
}
