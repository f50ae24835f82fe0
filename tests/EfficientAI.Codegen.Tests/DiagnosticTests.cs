using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Bad input ends as an EAI diagnostic naming the file and node, never as a generator crash (CS8785).</summary>
public class DiagnosticTests
{
    private static List<Diagnostic> Diagnose(byte[] model, Dictionary<string, string>? metadata = null)
    {
        var (output, diagnostics, run) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(model, "bad.onnx"), metadata);
        Assert.All(run.Results, r => Assert.Null(r.Exception));
        Assert.DoesNotContain(diagnostics, d => d.Id == "CS8785");
        Assert.Empty(output.SyntaxTrees.Skip(0)); // no source for a model that failed
        return diagnostics.ToList();
    }

    private static Diagnostic Single(List<Diagnostic> ds, string id)
    {
        var d = Assert.Single(ds, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal(id, d.Id);
        Assert.EndsWith("bad.onnx", d.Location.GetLineSpan().Path);
        return d;
    }

    [Fact]
    public void TruncatedFile()
    {
        var model = GeneratorTests.TinyMlp();
        var d = Single(Diagnose(model.Take(model.Length / 2).ToArray()), "EAI0002");
        Assert.Contains("bad.onnx", d.GetMessage());
    }

    [Fact]
    public void GarbageBytes()
    {
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        Single(Diagnose(garbage), "EAI0002");
    }

    [Fact]
    public void EmptyFile() => Assert.Contains("empty", Single(Diagnose(Array.Empty<byte>()), "EAI0002").GetMessage());

    [Fact]
    public void EveryUnsupportedOpIsListedInOneBuild()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 4);
        b.Node("FancyOp", "x", "a").Node("Relu", "a", "r").Node("OtherOp", "r", "y").Node("FancyOp", "y", "z").Output("z");
        var ds = Diagnose(b.Build()).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.Equal(2, ds.Count);
        Assert.All(ds, d => Assert.Equal("EAI0101", d.Id));
        var fancy = ds.Single(d => d.GetMessage().Contains("FancyOp"));
        Assert.Contains("'fancyop_0'", fancy.GetMessage());
        Assert.Contains("'fancyop_3'", fancy.GetMessage());
        Assert.Contains("opset 13", fancy.GetMessage());
        Assert.Contains(ds, d => d.GetMessage().Contains("OtherOp") && d.GetMessage().Contains("'otherop_2'"));
    }

    [Fact]
    public void UnboundDimensionNamesInputDimensionAndMetadata()
    {
        var b = new OnnxBuilder(13).Input("audio", 1, "batch", 512).Node("Relu", "audio", "y").Output("y");
        var d = Single(Diagnose(b.Build()), "EAI0201");
        Assert.Contains("'audio'", d.GetMessage());
        Assert.Contains("'batch'", d.GetMessage());
        Assert.Contains("Dims=\"batch=N\"", d.GetMessage());
        // ... and binding it compiles.
        var runner = GeneratorHarness.Compile(b.Build(), new() { ["Dims"] = "batch=2" });
        Assert.Equal(new[] { 1024 }, runner.OutputLengths);
        var shaped = GeneratorHarness.Compile(b.Build(), new() { ["Shapes"] = "audio=3x512" });
        Assert.Equal(new[] { 1536 }, shaped.OutputLengths);
    }

    [Fact]
    public void UnsupportedDtype()
    {
        var b = new OnnxBuilder(13).Input("s", 8 /* string */, new object[] { 1 }).Node("Identity", "s", "y").Output("y", 8);
        Assert.Contains("string", Single(Diagnose(b.Build()), "EAI0202").GetMessage());
    }

    [Fact]
    public void InvalidNodeNamesTheNode()
    {
        var b = new OnnxBuilder(13).Input("a", 2, 3).Input("b", 4, 5).Node("MatMul", new[] { "a", "b" }, new[] { "y" }).Output("y");
        var d = Single(Diagnose(b.Build()), "EAI0203");
        Assert.Contains("MatMul 'matmul_0'", d.GetMessage());
    }

    [Fact]
    public void DataDependentShapeSaysWhichInputMustBeConstant()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 3).Input("shape", 7, 2).Node("Reshape", new[] { "x", "shape" }, new[] { "y" }).Output("y");
        var d = Single(Diagnose(b.Build()), "EAI0204");
        Assert.Contains("'shape'", d.GetMessage());
        Assert.Contains("ConstantInputs", d.GetMessage());
    }

    [Fact]
    public void InvalidOptionIsReported()
    {
        var b = new OnnxBuilder(13).Input("x", 1, "n").Node("Relu", "x", "y").Output("y");
        Assert.Contains("Dims", Single(Diagnose(b.Build(), new() { ["Dims"] = "n=abc" }), "EAI0003").GetMessage());
    }

    [Fact]
    public void SuccessfulCompileReportsAnInfoSummary()
    {
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(GeneratorTests.TinyCnn(), "good.onnx"));
        var info = Assert.Single(diagnostics);
        Assert.Equal("EAI0005", info.Id);
        Assert.Equal(DiagnosticSeverity.Info, info.Severity);
        Assert.Contains("arena", info.GetMessage());
        Assert.Contains("MACs", info.GetMessage());
    }

    [Fact]
    public void GraphOutputThatNothingProducesIsReported()
    {
        // Found by the fuzzer: it used to escape as KeyNotFoundException (EAI0901).
        var b = new OnnxBuilder(13).Input("x", 1, 4).Node("Relu", "x", "y").Output("y").Output("missing_output");
        Assert.Contains("'missing_output'", Single(Diagnose(b.Build()), "EAI0002").GetMessage());
    }
}
