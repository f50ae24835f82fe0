using System;
using System.IO;
using System.Linq;
using System.Text;
using EfficientAI.Codegen.Tests.Infrastructure;
using Google.Protobuf;

namespace EfficientAI.Cli.Tests;

/// <summary>Small models built in C#, and writers for the input files validate reads.</summary>
internal static class TestModels
{
    public static readonly float[] Weights = Enumerable.Range(0, 12).Select(i => (i % 5 - 2) * 0.25f).ToArray();
    public static readonly float[] Bias = { 0.5f, -0.25f, 0.125f };

    /// <summary>y = Relu(x W + b), x float [1,4], W [4,3]: 12 MACs, 60 bytes of weights.</summary>
    public static string Mlp()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 4);
        b.Initializer("W", new[] { 4, 3 }, Weights);
        b.Initializer("b", new[] { 3 }, Bias);
        return Eai.WriteFile(b.Node("Gemm", new[] { "x", "W", "b" }, new[] { "h" }).Node("Relu", "h", "y").Output("y").Build(), "tiny_mlp.onnx");
    }

    /// <summary>The MLP's output computed here, in double.</summary>
    public static float[] MlpReference(float[] x) => Enumerable.Range(0, 3)
        .Select(j => (float)Math.Max(0, Bias[j] + Enumerable.Range(0, 4).Sum(i => (double)x[i] * Weights[i * 3 + j]))).ToArray();

    /// <summary>Relu over x float [batch,4]: needs --dims batch=N.</summary>
    public static string Symbolic() => Eai.WriteFile(new OnnxBuilder(13).Input("x", 1, "batch", 4).Node("Relu", "x", "y").Output("y").Build(), "symbolic.onnx");

    /// <summary>A node of an op no compiler knows.</summary>
    public static string Unsupported() => Eai.WriteFile(new OnnxBuilder(13).Input("x", 1, 4)
        .Node("Relu", "x", "r").Node("FrobnicateTensor", "r", "y").Output("y").Build(), "unsupported.onnx");

    public static string NotOnnx() => Eai.WriteFile(Encoding.UTF8.GetBytes("version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 12\n"), "lfs_pointer.onnx");

    /// <summary>An ONNX test-data set: input_0.pb and output_0.pb as serialized TensorProtos.</summary>
    public static string TestDataSet(string root, int index, float[] input, float[] expected)
    {
        var dir = Path.Combine(root, "test_data_set_" + index);
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "input_0.pb"), OnnxBuilder.FloatTensor("x", new[] { 1, 4 }, input).ToByteArray());
        File.WriteAllBytes(Path.Combine(dir, "output_0.pb"), OnnxBuilder.FloatTensor("y", new[] { 1, 3 }, expected).ToByteArray());
        return dir;
    }

    /// <summary>A NumPy .npy file (format 1.0, little-endian float32, C order).</summary>
    public static string Npy(string path, float[] data, params int[] shape)
    {
        var dims = string.Join(", ", shape) + (shape.Length == 1 ? "," : "");
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var f = File.Create(path);
        f.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 });
        f.Write(BitConverter.GetBytes((ushort)header.Length));
        f.Write(Encoding.ASCII.GetBytes(header));
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        f.Write(bytes);
        return path;
    }
}
