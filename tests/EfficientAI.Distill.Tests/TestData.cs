using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using EfficientAI.Distill.Training;

namespace EfficientAI.Distill.Tests;

/// <summary>The repository's digits teacher and its committed held-out split (models/digits_test.csv), and a .npy writer.</summary>
internal static class TestData
{
    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "models", "digits_cnn.onnx"))) return dir.FullName;
        throw new InvalidOperationException("models/digits_cnn.onnx not found above " + AppContext.BaseDirectory);
    }

    public static string DigitsTeacher => Path.Combine(RepoRoot, "models", "digits_cnn.onnx");

    /// <summary>The 360 held-out digits as [N,1,8,8] pixel/16 and their labels.</summary>
    public static Dataset Digits()
    {
        var rows = File.ReadAllLines(Path.Combine(RepoRoot, "models", "digits_test.csv")).Skip(1).Where(l => l.Length > 0).ToArray();
        var x = new float[rows.Length * 64];
        var y = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            var f = rows[i].Split(',');
            y[i] = int.Parse(f[0], CultureInfo.InvariantCulture);
            for (int j = 0; j < 64; j++) x[i * 64 + j] = int.Parse(f[j + 1], CultureInfo.InvariantCulture) / 16f;
        }
        return new Dataset(x, new[] { 1, 8, 8 }, rows.Length, y);
    }

    public static void WriteNpy(string path, Array data, string descr, params int[] shape)
    {
        var dims = shape.Length == 1 ? shape[0].ToString(CultureInfo.InvariantCulture) + "," : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var s = File.Create(path);
        s.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(header.Length & 0xFF), (byte)(header.Length >> 8) });
        s.Write(Encoding.ASCII.GetBytes(header));
        var bytes = new byte[Buffer.ByteLength(data)];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        s.Write(bytes);
    }
}
