using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace EfficientAI.Cli.Tests;

/// <summary>--calibration: .npy files found beside the model (or from the current folder), as a build's AdditionalFiles.</summary>
public class CalibrationCommandTests
{
    /// <summary>A float32 .npy of shape [samples, 4] next to the given model.</summary>
    private static void WriteSamples(string modelPath, string name, int samples)
    {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + samples + ", 4), }\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 };
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        var rng = new Random(samples);
        for (int i = 0; i < samples * 4; i++) bytes.AddRange(BitConverter.GetBytes((float)(rng.NextDouble() * 2 - 1)));
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(modelPath)!, name), bytes.ToArray());
    }

    [Fact]
    public void ReportWithCalibrationShowsStaticScales()
    {
        var model = TestModels.Mlp();
        WriteSamples(model, "mlp_calib.npy", 6);
        var r = Eai.Run("report", model, "--quantize", "int8", "--calibration", "mlp_calib.npy", "--calibration-method", "Percentile", "--format", "md");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("static scale (Percentile 99.99 over 6 calibration samples)", r.Out);
        Assert.Contains("int32 bias", r.Out);
    }

    [Fact]
    public void AMissingCalibrationFileIsEai0302()
    {
        var r = Eai.Run("report", TestModels.Mlp(), "--quantize", "int8", "--calibration", "nowhere.npy");
        r.AssertOneLineError(ExitCodes.ModelError, "EAI0302");
        Assert.Contains("'nowhere.npy'", r.Err);
    }
}
