using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace EfficientAI.Codegen.Onnx;

/// <summary>
/// Reads NumPy's .npy format (versions 1-3): the magic "\x93NUMPY", a version, a little-endian header length, then an
/// ASCII Python dict literal with 'descr', 'fortran_order' and 'shape', then the raw data. Only little-endian float32
/// in C order is accepted: calibration samples are what the model's float inputs receive.
/// </summary>
internal static class NpyReader
{
    /// <summary>Why a file was refused; the caller names the file and the expected shape.</summary>
    internal sealed class NpyException : Exception
    {
        public NpyException(string message) : base(message) { }
    }

    public static (int[] Shape, float[] Data) Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) throw new NpyException("the file is empty");
        ReadOnlySpan<byte> magic = new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };
        if (bytes.Length < 10 || !bytes.Slice(0, 6).SequenceEqual(magic)) throw new NpyException("it is not a .npy file (no \\x93NUMPY magic)");
        int major = bytes[6];
        int headerLength, start;
        if (major == 1)
        {
            headerLength = bytes[8] | bytes[9] << 8;
            start = 10;
        }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new NpyException("its .npy header is truncated");
            uint length = (uint)(bytes[8] | bytes[9] << 8 | bytes[10] << 16) | (uint)bytes[11] << 24;
            if (length > int.MaxValue) throw new NpyException("its .npy header length is out of range");
            headerLength = (int)length;
            start = 12;
        }
        else throw new NpyException($"it has .npy format version {major}.{bytes[7]}; versions 1, 2 and 3 are read");
        if (headerLength > bytes.Length - start) throw new NpyException("its .npy header is truncated");
        var header = Encoding.ASCII.GetString(bytes.Slice(start, headerLength).ToArray());
        var fields = ParseHeader(header);
        if (!fields.TryGetValue("descr", out var descr)) throw new NpyException("its .npy header has no 'descr'");
        descr = Unquote(descr);
        if (descr != "<f4" && !(descr == "=f4" && BitConverter.IsLittleEndian))
            throw new NpyException($"it holds dtype '{descr}'; calibration data must be float32 ('<f4': numpy.float32, little-endian)");
        if (fields.TryGetValue("fortran_order", out var fortran) && fortran.Trim() != "False")
            throw new NpyException("it is stored in Fortran order; save it in C order (numpy.ascontiguousarray)");
        if (!fields.TryGetValue("shape", out var shapeText)) throw new NpyException("its .npy header has no 'shape'");
        var shape = ParseShape(shapeText);
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
            if (count > Diagnostics.Limits.MaxTensorElements) throw new NpyException($"its shape {Ir.Shape.Format(shape)} holds more values than the limit of {Diagnostics.Limits.MaxTensorElements}");
        }
        long dataBytes = bytes.Length - start - headerLength;
        if (count > Diagnostics.Limits.MaxTensorElements) throw new NpyException($"it holds {count} values, more than the limit of {Diagnostics.Limits.MaxTensorElements}");
        if (dataBytes != count * 4) throw new NpyException($"its header announces shape {Ir.Shape.Format(shape)} ({count * 4} bytes of data) but the file has {dataBytes} bytes of data");
        var data = new float[count];
        var raw = bytes.Slice(start + headerLength);
        for (int i = 0; i < data.Length; i++)
        {
            int bits = raw[4 * i] | raw[4 * i + 1] << 8 | raw[4 * i + 2] << 16 | raw[4 * i + 3] << 24;
            data[i] = BitConverter.ToSingle(BitConverter.GetBytes(bits), 0);
        }
        return (shape, data);
    }

    /// <summary>"{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }" -> key -> value text.</summary>
    private static Dictionary<string, string> ParseHeader(string header)
    {
        var text = header.Trim().TrimEnd('\n', ' ', '\0');
        if (text.Length < 2 || text[0] != '{' || text[text.Length - 1] != '}') throw new NpyException("its .npy header is not a Python dict literal");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        int i = 1;
        while (true)
        {
            while (i < text.Length && (text[i] == ' ' || text[i] == ',')) i++;
            if (i >= text.Length - 1) break;
            int keyEnd = text.IndexOf(':', i);
            if (keyEnd < 0) throw new NpyException("its .npy header is not a Python dict literal");
            var key = Unquote(text.Substring(i, keyEnd - i).Trim());
            i = keyEnd + 1;
            int depth = 0, valueStart = i;
            char quote = '\0';
            for (; i < text.Length - 1; i++)
            {
                char c = text[i];
                if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
                if (c is '\'' or '"') quote = c;
                else if (c is '(' or '[') depth++;
                else if (c is ')' or ']') depth--;
                else if (c == ',' && depth == 0) break;
            }
            if (depth != 0 || quote != '\0') throw new NpyException("its .npy header is not a Python dict literal");
            fields[key] = text.Substring(valueStart, i - valueStart).Trim();
        }
        return fields;
    }

    private static string Unquote(string s) =>
        s.Length >= 2 && (s[0] == '\'' || s[0] == '"') && s[s.Length - 1] == s[0] ? s.Substring(1, s.Length - 2) : s;

    private static int[] ParseShape(string text)
    {
        text = text.Trim();
        if (text.Length < 2 || text[0] != '(' || text[text.Length - 1] != ')') throw new NpyException($"its .npy header has shape '{text}', not a tuple");
        var dims = new List<int>();
        foreach (var part in text.Substring(1, text.Length - 2).Split(','))
        {
            var p = part.Trim().TrimEnd('L');
            if (p.Length == 0) continue;
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var d)) throw new NpyException($"its .npy header has shape '{text}', not a tuple of sizes");
            dims.Add(d);
        }
        return dims.ToArray();
    }
}
