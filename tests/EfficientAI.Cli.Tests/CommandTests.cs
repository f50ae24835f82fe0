using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using EfficientAI.Codegen;
using Xunit;

namespace EfficientAI.Cli.Tests;

/// <summary>Each command in-process on small models: output, exit codes, JSON parsed back, bad input.</summary>
public class CommandTests
{
    [Fact]
    public void Inspect_ShowsVersionsIoOpsParametersAndBuild()
    {
        var r = Eai.Run("inspect", TestModels.Mlp());
        Assert.Equal(0, r.Exit);
        Assert.Contains("ONNX IR version 8, producer EfficientAI.Codegen.Tests", r.Out);
        Assert.Contains("opsets: ai.onnx 13", r.Out);
        Assert.Contains("x  float [1,4]", r.Out);
        Assert.Contains("parameters: 15 in 2 initializers, 60 B", r.Out);
        Assert.Contains("ops (2 nodes): Gemm 1, Relu 1", r.Out);
        Assert.Contains("unsupported ops: none", r.Out);
        Assert.Contains("build: ok: 1 nodes", r.Out); // Gemm + Relu epilogue
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void Inspect_ListsUnsupportedOpsWithNodeNames_AndFails()
    {
        var r = Eai.Run("inspect", TestModels.Unsupported());
        Assert.Equal(ExitCodes.ModelError, r.Exit);
        Assert.Contains("unsupported ops (1):", r.Out);
        Assert.Contains("ai.onnx FrobnicateTensor (opset 13), 1 node: 'frobnicatetensor_1'", r.Out);
        Assert.StartsWith("error EAI0101:", r.Err);
    }

    [Fact]
    public void Inspect_NamesSymbolicDims_AndTheOptionThatBindsThem()
    {
        var r = Eai.Run("inspect", TestModels.Symbolic());
        Assert.Equal(ExitCodes.ModelError, r.Exit);
        Assert.Contains("x  float [batch,4]", r.Out);
        Assert.Contains("symbolic dims: batch", r.Out);
        Assert.Contains("EAI0201", r.Err);
        Assert.Equal(0, Eai.Run("inspect", TestModels.Symbolic(), "--dims", "batch=2").Exit);
    }

    [Fact]
    public void EveryMetadataName_IsAnOptionOfEveryCommand()
    {
        foreach (var command in new[] { "inspect", "report", "compile", "validate", "profile" })
        {
            var help = Eai.Run(command, "--help");
            Assert.Equal(0, help.Exit);
            foreach (var name in ModelOptions.MetadataNames)
                Assert.Contains("--" + ModelOptionArguments.Kebab(name) + " ", help.Out);
        }
        Assert.Equal("constant-inputs", ModelOptionArguments.Kebab("ConstantInputs"));
        Assert.Equal("disabled-passes", ModelOptionArguments.Kebab("DisabledPasses"));
    }

    [Fact]
    public void Options_ReachTheCompiler()
    {
        var r = Eai.Run("report", TestModels.Symbolic(), "--dims", "batch=3", "--class-name", "Clipper", "--namespace", "My.Models", "--format", "json");
        Assert.Equal(0, r.Exit);
        var json = r.Json();
        Assert.Equal("My.Models.Clipper", json.GetProperty("className").GetString());
        Assert.Equal(3 * 4 * 4, json.GetProperty("inputBytes").GetInt64());

        var bad = Eai.Run("report", TestModels.Mlp(), "--dims", "nonsense");
        bad.AssertOneLineError(ExitCodes.ModelError, "EAI0003");
    }

    [Fact]
    public void Report_Text_HasEveryLayerAndTheTotals()
    {
        // ActivationFusion off: the Relu stays a layer of its own and the Gemm's output lives in the arena.
        var r = Eai.Run("report", TestModels.Mlp(), "--disabled-passes", "ActivationFusion");
        Assert.Equal(0, r.Exit);
        var lines = r.Out.Split('\n');
        Assert.Contains(lines, l => l.Contains("Gemm") && l.Contains("[1,3]") && l.Contains(" 12 ") && l.Contains(" 60 "));
        Assert.Contains(lines, l => l.Contains("Relu") && l.Contains("output"));
        Assert.Contains("ROM (embedded weights): 60 B", r.Out);
        Assert.Contains("RAM (arena): 64 B (lower bound 64 B, no reuse 64 B)", r.Out);
        Assert.Contains("MACs per inference: 12", r.Out);
    }

    [Fact]
    public void Report_Json_ParsesBack_AndAddsUp()
    {
        var r = Eai.Run("report", TestModels.Mlp(), "--format", "json", "--disabled-passes", "ActivationFusion");
        Assert.Equal(0, r.Exit);
        var json = r.Json();
        var layers = json.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(new[] { "Gemm", "Relu" }, layers.Select(l => l.GetProperty("op").GetString()));
        Assert.Equal(12, json.GetProperty("macs").GetInt64());
        Assert.Equal(json.GetProperty("macs").GetInt64(), layers.Sum(l => l.GetProperty("macs").GetInt64()));
        Assert.Equal(60, json.GetProperty("romBytes").GetInt64());
        Assert.Equal(64, json.GetProperty("ramBytes").GetInt64());
        var gemmOut = layers[0].GetProperty("outputs")[0];
        Assert.Equal("arena", gemmOut.GetProperty("storage").GetString());
        Assert.Equal(0, gemmOut.GetProperty("arenaOffset").GetInt32());
        Assert.Equal(64, gemmOut.GetProperty("arenaBytes").GetInt32());
        Assert.Equal(new[] { 1, 3 }, gemmOut.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal("output", layers[1].GetProperty("outputs")[0].GetProperty("storage").GetString());
    }

    [Theory]
    [InlineData("md", "| # | op | node |")]
    [InlineData("html", "<table>")]
    public void Report_MarkdownAndHtml(string format, string marker)
    {
        var r = Eai.Run("report", TestModels.Mlp(), "--format", format);
        Assert.Equal(0, r.Exit);
        Assert.Contains(marker, r.Out);
        Assert.Contains("Gemm", r.Out);
        Assert.Contains("MACs per inference: 12", r.Out);
    }

    [Fact]
    public void Report_ToFile_AndUnknownFormatIsAUsageError()
    {
        var path = Path.Combine(Eai.NewDir("report"), "r.json");
        Assert.Equal(0, Eai.Run("report", TestModels.Mlp(), "-f", "json", "-o", path).Exit);
        Assert.Equal(12, JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("macs").GetInt64());
        Assert.Equal(ExitCodes.UsageError, Eai.Run("report", TestModels.Mlp(), "--format", "pdf").Exit);
    }

    [Fact]
    public void Compile_WritesTheGeneratedFiles()
    {
        var dir = Path.Combine(Eai.NewDir("compile"), "out");
        var r = Eai.Run("compile", TestModels.Mlp(), "-o", dir, "--class-name", "Tiny", "--namespace", "Cli.Test");
        Assert.Equal(0, r.Exit);
        var files = Directory.GetFiles(dir).Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "Cli.Test.Tiny.Weights.g.cs", "Cli.Test.Tiny.g.cs" }, files);
        var source = File.ReadAllText(Path.Combine(dir, "Cli.Test.Tiny.g.cs"));
        Assert.Contains("public static partial class Tiny", source);
        Assert.Contains("public const long MacsPerInference = 12;", source);
        Assert.Contains("EAI0005", r.Out);
    }

    [Fact]
    public void Compile_WritesTheQdqModel()
    {
        var path = Path.Combine(Eai.NewDir("qdq"), "mlp.qdq.onnx");
        var r = Eai.Run("compile", TestModels.Mlp(), "--quantize", "int8", "--qdq-out", path);
        Assert.Equal(0, r.Exit);
        Assert.Contains("wrote " + path, r.Out);
        // Without calibration the int8 layers are written in dynamic form.
        var text = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path));
        Assert.Contains("DynamicQuantizeLinear", text);
        Assert.Contains("MatMulInteger", text);
    }

    [Fact]
    public void Compile_RequiresAnOutputFolder() =>
        Assert.Equal(ExitCodes.UsageError, Eai.Run("compile", TestModels.Mlp()).Exit);

    [Theory]
    [InlineData("inspect")]
    [InlineData("report")]
    [InlineData("compile")]
    [InlineData("validate")]
    [InlineData("profile")]
    public void BadModelFiles_OneLineWithTheEaiId(string command)
    {
        string[] Args(string model) => command == "compile" ? new[] { command, model, "-o", Eai.NewDir("bad") } : new[] { command, model };
        Eai.Run(Args(Path.Combine(Eai.TempDir, "no_such_model.onnx"))).AssertOneLineError(ExitCodes.ModelError, "EAI0001");
        Eai.Run(Args(Eai.NewDir("a_directory"))).AssertOneLineError(ExitCodes.ModelError, "EAI0001");
        Eai.Run(Args(TestModels.NotOnnx())).AssertOneLineError(ExitCodes.ModelError, "EAI0002");
        if (command != "inspect") Eai.Run(Args(TestModels.Unsupported())).AssertOneLineError(ExitCodes.ModelError, "EAI0101");
    }

    [Fact]
    public void UsageErrors_Exit3()
    {
        Assert.Equal(ExitCodes.UsageError, Eai.Run().Exit);
        Assert.Equal(ExitCodes.UsageError, Eai.Run("frobnicate").Exit);
        Assert.Equal(ExitCodes.UsageError, Eai.Run("report", TestModels.Mlp(), "--no-such-option").Exit);
        Assert.Equal(ExitCodes.UsageError, Eai.Run("validate").Exit);
        Assert.Equal(0, Eai.Run("--help").Exit);
    }
}
