using System;
using System.IO;
using System.Linq;
using EfficientAI.Distill.Training;
using Xunit;

namespace EfficientAI.Distill.Tests;

/// <summary>
/// The written student loads in ONNX Runtime and compiles with the generator, and the trainer's forward pass, ONNX
/// Runtime and the generated code agree on random inputs (|a - b| &lt;= 1e-4 + 1e-4 |b|: the trainer computes in double,
/// the others in float).
/// </summary>
public class ExportTests
{
    [Theory]
    [InlineData("mlp:16-8", new[] { 1, 8, 8 }, 10)]
    [InlineData("mlp:12", new[] { 20 }, 3)]
    [InlineData("cnn:c4k3-p2-c6k3s2-f8", new[] { 1, 8, 8 }, 10)]
    [InlineData("cnn:c5k5p1-a2-g", new[] { 2, 11, 9 }, 4)]
    [InlineData("cnn:c3k3-p2-f5", new[] { 2, 9, 7 }, 6)]
    public void TrainerOrtAndGeneratedCodeAgree(string spec, int[] sampleShape, int classes)
    {
        var net = StudentSpec.Parse(spec).Build(sampleShape, classes);
        var rng = new Rng(5);
        net.Initialize(rng);
        foreach (var p in net.Parameters.Where(p => p.Shape.Length == 1))
            for (int i = 0; i < p.Value.Length; i++) p.Value[i] = rng.NextGaussian() * 0.3; // biases: He init leaves them zero
        // Weights rounded to float, as the file stores them.
        foreach (var p in net.Parameters) for (int i = 0; i < p.Value.Length; i++) p.Value[i] = (float)p.Value[i];
        var path = Path.Combine(Path.GetTempPath(), $"eai-distill-export-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, StudentWriter.Write(net, "input", "scores", "test"));
        try
        {
            const int samples = 4;
            var x = Enumerable.Range(0, samples * net.InputSize).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var expected = net.Forward(x, samples).Take(samples * classes).ToArray();
            Assert.Contains(expected, v => v != 0);
            using var ort = new OrtEngine(File.ReadAllBytes(path), "student");
            Assert.Equal(sampleShape, ort.SampleShape);
            Assert.Equal(classes, ort.Classes);
            using var generated = GeneratedEngine.Compile(path, File.ReadAllBytes(path));
            foreach (var (engine, actual) in new[] { ("ONNX Runtime", ort.Run(x, samples)), ("generated code", generated.Run(x, samples)) })
                for (int i = 0; i < expected.Length; i++)
                    Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 + 1e-4 * Math.Abs(expected[i]), $"{spec}: {engine} [{i}] = {actual[i]:R}, trainer {expected[i]:R}");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
