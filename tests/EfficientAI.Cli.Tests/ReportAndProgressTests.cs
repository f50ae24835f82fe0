using System.IO;
using EfficientAI.Codegen;
using EfficientAI.Codegen.Model;
using Xunit;

namespace EfficientAI.Cli.Tests;

public class ReportAndProgressTests
{
    private static ModelCompiler.Result Compile(string path, string dims = "") =>
        ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile(path, File.ReadAllBytes(path).ToEquatableArray(), null),
            ModelOptions.Default(path) with { Dims = dims }), default);

    [Fact]
    public void ModelReport_IsValueEqual_AndComesWithThePlan()
    {
        var a = Compile(TestModels.Mlp());
        var b = Compile(TestModels.Mlp());
        Assert.NotSame(a.Report, b.Report);
        Assert.Equal(a.Report, b.Report);
        Assert.Equal(a.Report!.GetHashCode(), b.Report!.GetHashCode());
        Assert.Equal(a.Plan!.ArenaBytes, a.Report.ArenaBytes);
        Assert.NotEqual(a.Report, Compile(TestModels.Symbolic(), "batch=2").Report);
    }

    [Fact]
    public void FailedCompile_HasNoReport() => Assert.Null(Compile(TestModels.Unsupported()).Report);

    [Fact]
    public void Progress_OnlyWhenStdoutIsATerminal()
    {
        var dir = Eai.NewDir("progress");
        var output = new StringWriter();
        var quiet = new StringWriter();
        Assert.Equal(0, EaiApp.Run(new[] { "compile", TestModels.Mlp(), "-o", dir }, output, quiet, interactive: false));
        Assert.Equal("", quiet.ToString());

        var terminal = new StringWriter();
        Assert.Equal(0, EaiApp.Run(new[] { "compile", TestModels.Mlp(), "-o", dir }, new StringWriter(), terminal, interactive: true));
        Assert.Contains("compiling tiny_mlp.onnx...", terminal.ToString());
        Assert.EndsWith("\r\u001b[K", terminal.ToString()); // the status line is cleared before the result
    }
}
