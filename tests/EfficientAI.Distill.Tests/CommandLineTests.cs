using System;
using System.IO;
using System.Linq;
using EfficientAI.Distill.Training;
using Xunit;

namespace EfficientAI.Distill.Tests;

/// <summary>eai-distill end to end on the committed digits split (the held-out 360 as a small training set), and its errors.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "eai-distill-cli-" + Guid.NewGuid().ToString("N"));
    private readonly string _x, _y, _y32;

    public CommandLineTests()
    {
        Directory.CreateDirectory(_dir);
        var d = TestData.Digits();
        _x = Path.Combine(_dir, "x.npy");
        _y = Path.Combine(_dir, "y.npy");
        _y32 = Path.Combine(_dir, "y32.npy");
        TestData.WriteNpy(_x, d.X, "<f4", d.Count, 1, 8, 8);
        TestData.WriteNpy(_y, d.Labels!.Select(v => (long)v).ToArray(), "<i8", d.Count);
        TestData.WriteNpy(_y32, d.Labels!, "<i4", d.Count);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int exit = DistillApp.Run(args, o, e);
        return (exit, o.ToString(), e.ToString());
    }

    [Fact]
    public void DistillsAndWritesAStudentThatOrtLoads()
    {
        var student = Path.Combine(_dir, "student.onnx");
        var (exit, output, error) = Run(TestData.DigitsTeacher, "--student", "cnn:c4k3-p2-f16", "--data", _x, "--labels", _y,
            "--validation", _x, "--validation-labels", _y32, "--epochs", "3", "--seed", "7", "-o", student);
        Assert.True(exit == 0, error);
        Assert.Equal("", error); // redirected: no progress bar, no ANSI
        Assert.Contains("teacher train accuracy", output);
        Assert.Contains("epoch 3/3 [####################] loss", output);
        Assert.Contains("validation", output);
        Assert.False(output.Contains('\u001b'), "ANSI escape in redirected output");
        using var ort = new OrtEngine(File.ReadAllBytes(student), "student");
        Assert.Equal("image", ort.InputName);
        Assert.Equal("logits", ort.OutputName);
        // Same seed, same file, byte for byte.
        var again = Path.Combine(_dir, "again.onnx");
        Assert.Equal(0, Run(TestData.DigitsTeacher, "--student", "cnn:c4k3-p2-f16", "--data", _x, "--labels", _y,
            "--validation", _x, "--validation-labels", _y32, "--epochs", "3", "--seed", "7", "-o", again).Exit);
        Assert.Equal(File.ReadAllBytes(student), File.ReadAllBytes(again));
    }

    [Fact]
    public void GeneratedTeacherWithoutLabels()
    {
        var student = Path.Combine(_dir, "mlp.onnx");
        var (exit, output, error) = Run(TestData.DigitsTeacher, "--student", "mlp:16", "--data", _x, "--teacher-engine", "generated", "--epochs", "2", "-o", student);
        Assert.True(exit == 0, error);
        Assert.Contains("soft targets only", output);
        Assert.Contains("(agrees with teacher)", output);
        Assert.True(File.Exists(student));
    }

    [Fact]
    public void EvaluateReportsAccuracySizeArenaAndLatency()
    {
        var (exit, output, error) = Run("evaluate", TestData.DigitsTeacher, "--data", _x, "--labels", _y, "--runs", "20", "--json");
        Assert.True(exit == 0, error);
        var json = System.Text.Json.JsonDocument.Parse(output).RootElement;
        Assert.True(json.GetProperty("accuracy").GetDouble() > 0.97); // the teacher on its held-out split
        Assert.Equal(160 + 4640 + 32832 + 650, json.GetProperty("parameters").GetInt64());
        Assert.True(json.GetProperty("ramBytes").GetInt64() > 0 && json.GetProperty("romBytes").GetInt64() > 0 && json.GetProperty("latencyUs").GetDouble() > 0);
        var (qExit, qOut, qErr) = Run("evaluate", TestData.DigitsTeacher, "--data", _x, "--labels", _y, "--runs", "20", "--quantize", "int8");
        Assert.True(qExit == 0, qErr);
        Assert.Contains("Quantize=int8: accuracy", qOut);
    }

    [Fact]
    public void Errors()
    {
        var o = Path.Combine(_dir, "s.onnx");
        var bad = Path.Combine(_dir, "bad.npy");
        TestData.WriteNpy(bad, new float[10 * 64], "<f4", 10, 64);
        var floatLabels = Path.Combine(_dir, "fl.npy");
        TestData.WriteNpy(floatLabels, new float[360], "<f4", 360);
        var outOfRange = Path.Combine(_dir, "oor.npy");
        TestData.WriteNpy(outOfRange, Enumerable.Repeat(12L, 360).ToArray(), "<i8", 360);
        var short_ = Path.Combine(_dir, "short.npy");
        TestData.WriteNpy(short_, new long[5], "<i8", 5);
        foreach (var (args, exit, message) in new (string[], int, string)[]
        {
            (new[] { Path.Combine(_dir, "none.onnx"), "-s", "mlp:8", "-d", _x, "-o", o }, ExitCodes.UsageError, "does not exist"),
            (new[] { TestData.DigitsTeacher, "-s", "mlp:8", "-d", Path.Combine(_dir, "none.npy"), "-o", o }, ExitCodes.UsageError, "--data '"),
            (new[] { TestData.DigitsTeacher, "-s", "mlp:8", "-d", bad, "-o", o }, ExitCodes.UsageError, "has shape [10,64]; the teacher takes [N,1,8,8]"),
            (new[] { TestData.DigitsTeacher, "-s", "mlp:8", "-d", _x, "--labels", floatLabels, "-o", o }, ExitCodes.UsageError, "labels must be int64"),
            (new[] { TestData.DigitsTeacher, "-s", "mlp:8", "-d", _x, "--labels", outOfRange, "-o", o }, ExitCodes.UsageError, "label 12 at index 0 is outside"),
            (new[] { TestData.DigitsTeacher, "-s", "mlp:8", "-d", _x, "--labels", short_, "-o", o }, ExitCodes.UsageError, "has 5 labels for 360 samples"),
            (new[] { TestData.DigitsTeacher, "-s", "cnn:c8k3-p2-p2-p2-p2", "-d", _x, "-o", o }, ExitCodes.UsageError, "turns [8,1,1] into [8,0,0]"),
            (new[] { TestData.DigitsTeacher, "-s", "mlp:8", "-d", _x, "--alpha", "1.5", "-o", o }, ExitCodes.UsageError, "--alpha must be in [0, 1]"),
            (new[] { TestData.DigitsTeacher, "-s", "mlp:8", "-d", _x, "--alpha", "0", "-o", o }, ExitCodes.UsageError, "give --labels"),
            (new[] { TestData.DigitsTeacher, "-s", "mlp:8", "-d", _x, "--validation", _x, "-o", o }, ExitCodes.UsageError, "go together"),
            (new[] { TestData.DigitsTeacher, "-d", _x, "-o", o }, ExitCodes.UsageError, "--student is required"),
            (new[] { _x, "-s", "mlp:8", "-d", _x, "-o", o }, ExitCodes.ModelError, "ONNX Runtime cannot load"),
        })
        {
            var r = Run(args);
            Assert.True(r.Exit == exit, $"{string.Join(" ", args)}: exit {r.Exit}, {r.Err}");
            Assert.Contains(message, r.Err);
            Assert.False(File.Exists(o));
        }
    }
}
