using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Passes;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace EfficientAI.Codegen.Tests;

/// <summary>CalibrationMethod=Entropy: the KL-divergence threshold (TensorRT's histogram method) against MinMax.</summary>
public class EntropyCalibrationTests
{
    private readonly ITestOutputHelper _out;

    public EntropyCalibrationTests(ITestOutputHelper output) => _out = output;

    /// <summary>Laplace(0, b) values from a fixed seed, with a few outliers of magnitude `outlier`.</summary>
    private static float[] Laplace(int n, float b, int seed, int outliers, float outlier, bool nonNegative)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u = rng.NextDouble() - 0.5;
            double x = -b * Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u));
            v[i] = (float)(nonNegative ? Math.Abs(x) : x);
        }
        for (int i = 0; i < outliers; i++) v[rng.Next(n)] = nonNegative || i % 2 == 0 ? outlier : -outlier;
        return v;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EntropyClipsOutliersThatMinMaxKeeps(bool nonNegative)
    {
        // 100,000 values of scale 0.1 and ten at 10: MinMax spends the 8-bit range on the outliers (each step 0.04 or 0.08, a
        // third of the typical value); Entropy clips them.
        var values = Laplace(100_000, 0.1f, 3, 10, 10f, nonNegative);
        var (lo, hi) = EntropyCalibration.Bounds(values, values.Min(), values.Max());
        _out.WriteLine($"nonNegative={nonNegative}: Entropy range [{lo}, {hi}], MinMax [{values.Min()}, {values.Max()}]");
        Assert.InRange(hi, 0.3f, 3f);
        if (nonNegative) Assert.Equal(values.Min(), lo); // nothing below the smallest value is clipped
        else Assert.InRange(lo, -3f, -0.3f);
    }

    [Fact]
    public void EntropyKeepsTheRangeOfAUniformDistribution()
    {
        // Nothing to clip: every value is as likely as any other, so clipping only adds error.
        var rng = new Random(5);
        var values = Enumerable.Range(0, 100_000).Select(_ => (float)rng.NextDouble()).ToArray();
        var (lo, hi) = EntropyCalibration.Bounds(values, values.Min(), values.Max());
        Assert.Equal(values.Min(), lo);
        Assert.InRange(hi, 0.95f, 1f);
    }

    [Fact]
    public void EntropyGivesASmallerScaleThanMinMaxOnHeavyTailedCalibrationData()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 64);
        b.Initializer("w", new[] { 64, 16 }, OrtReference.RandomFloats(1024, 11, 0.3f));
        b.Node("MatMul", new[] { "x", "w" }, new[] { "y" });
        var model = b.Output("y").Build();
        var data = Laplace(64 * 200, 0.2f, 9, 6, 8f, false);
        var file = GeneratorHarness.WriteNpy("entropy_heavy.npy", new[] { 200, 1, 64 }, data);
        LayerQuantization Layer(string method)
        {
            // MinSqnrDb 0: the output-SQNR gate measures on the calibration samples, outliers included, where clipping them
            // is the whole error (7 dB here); this test compares the methods' scales, not the gate.
            var options = ModelOptions.Default("m.onnx") with { Quantize = "int8", Calibration = "entropy_heavy.npy", CalibrationMethod = method, MinSqnrDb = "0" };
            var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile("m.onnx", model.ToEquatableArray(), null), options,
                new[] { new ModelFile(file, File.ReadAllBytes(file).ToEquatableArray(), null) }.ToEquatableArray()), default);
            return Assert.Single(result.Report!.Quantization);
        }
        var minMax = Layer("MinMax");
        var entropy = Layer("Entropy");
        _out.WriteLine($"input scale: MinMax {minMax.InputScale}, Entropy {entropy.InputScale}");
        Assert.Contains("Entropy over 200 calibration samples", entropy.Reason);
        Assert.True(entropy.InputScale < minMax.InputScale / 3, $"Entropy {entropy.InputScale}, MinMax {minMax.InputScale}");

        // On inputs from the same distribution, the clipped scale gives the smaller error against float ONNX Runtime.
        double Error(string method)
        {
            var runner = GeneratorHarness.Compile(model, new() { ["Quantize"] = "int8", ["Calibration"] = "entropy_heavy.npy", ["CalibrationMethod"] = method, ["MinSqnrDb"] = "0" },
                $"entropy_{method}.onnx", file);
            double sum = 0;
            for (int s = 0; s < 20; s++)
            {
                var x = Laplace(64, 0.2f, 500 + s, 0, 0f, false);
                var expected = (float[])OrtReference.Run(model, new[] { ("x", (Array)x, new[] { 1, 64 }) })[0];
                var actual = (float[])runner.Run(x)[0];
                sum += expected.Zip(actual, (e, a) => (double)(e - a) * (e - a)).Sum();
            }
            return sum;
        }
        double minMaxError = Error("MinMax"), entropyError = Error("Entropy");
        _out.WriteLine($"squared error over 20 inputs: MinMax {minMaxError:G4}, Entropy {entropyError:G4}");
        Assert.True(entropyError < minMaxError / 2, $"Entropy {entropyError}, MinMax {minMaxError}");
    }
}
