using System.IO;
using System.Linq;
using EfficientAI.Codegen.Tests;
using Xunit;
using Xunit.Abstractions;

namespace EfficientAI.Cli.Tests;

/// <summary>Every command on two development models (see DevModels: skipped with a message outside CI when unavailable).</summary>
public class DevModelTests
{
    private readonly ITestOutputHelper _output;
    public DevModelTests(ITestOutputHelper output) => _output = output;

    private string? Model(string name) => DevModels.Load(name, _output) is { } bytes ? Eai.WriteFile(bytes, name) : null;

    [Theory]
    [InlineData("hello_deepa.onnx", 1, 8)]
    [InlineData("face_detection_front_128x128_barracuda.onnx", 4, 59)] // ChannelsLastConvInput removes the input Transpose; ResidualAddFusion 16 Adds and 16 Relus
    public void InspectReportCompile(string name, int outputs, int layers)
    {
        if (Model(name) is not { } model) return;

        var inspect = Eai.Run("inspect", model);
        Assert.Equal(0, inspect.Exit);
        Assert.Contains($"outputs ({outputs}):", inspect.Out);
        Assert.Contains("unsupported ops: none", inspect.Out);
        Assert.Contains("build: ok", inspect.Out);

        var report = Eai.Run("report", model, "--format", "json");
        Assert.Equal(0, report.Exit);
        var json = report.Json();
        var rows = json.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(layers, rows.Count);
        Assert.Equal(json.GetProperty("macs").GetInt64(), rows.Sum(l => l.GetProperty("macs").GetInt64()));
        Assert.True(json.GetProperty("macs").GetInt64() > 0);
        Assert.True(rows.Sum(l => l.GetProperty("weightBytes").GetInt64()) <= json.GetProperty("romBytes").GetInt64());
        long arena = json.GetProperty("arenaBytes").GetInt64();
        Assert.InRange(arena, json.GetProperty("arenaLowerBound").GetInt64(), json.GetProperty("arenaNoReuse").GetInt64());
        // Every arena slot lies inside the arena.
        foreach (var o in rows.SelectMany(l => l.GetProperty("outputs").EnumerateArray()).Where(o => o.GetProperty("storage").GetString() == "arena"))
            Assert.True(o.GetProperty("arenaOffset").GetInt64() + o.GetProperty("arenaBytes").GetInt64() <= arena);
        _output.WriteLine(Eai.Run("report", model).Out);

        var dir = Eai.NewDir("dev-compile");
        var compile = Eai.Run("compile", model, "-o", dir);
        Assert.Equal(0, compile.Exit);
        Assert.Equal(2, Directory.GetFiles(dir, "*.g.cs").Length);
    }

    [Theory]
    [InlineData("hello_deepa.onnx", 1)]
    [InlineData("face_detection_front_128x128_barracuda.onnx", 4)]
    public void Validate(string name, int outputs)
    {
        if (Model(name) is not { } model) return;
        var r = Eai.Run("validate", model, "--json", "--runs", "3");
        _output.WriteLine(r.Out);
        Assert.Equal(0, r.Exit);
        var results = r.Json().GetProperty("cases")[0].GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal(outputs, results.Count);
        Assert.All(results, o => Assert.True(o.GetProperty("vsOnnxRuntime").GetProperty("cosine").GetDouble() > 0.99999));
    }
}
