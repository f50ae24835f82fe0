using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// Sequences resolved at compile time (lists of tensors) against ONNX Runtime: SequenceConstruct/Empty/Insert/Erase/At/
/// Length, SplitToSequence and ConcatFromSequence. Exact (the elements are only moved): rtol 0 / atol 0.
/// </summary>
public class SequenceTests
{
    [Fact]
    public void BuildEditReadAndConcatenate()
    {
        var b = new OnnxBuilder(13).Input("a", 2, 3).Input("b", 2, 3).Input("c", 4, 3);
        b.Node("SequenceConstruct", new[] { "a", "b" }, new[] { "s1" });
        b.Node("SequenceInsert", new[] { "s1", "c", b.Ints(0) }, new[] { "s2" });          // [c, a, b]
        b.Node("SequenceErase", new[] { "s2", b.Ints(-1) }, new[] { "s3" });                // [c, a]
        b.Node("SequenceInsert", new[] { "s3", "b" }, new[] { "s4" });                      // [c, a, b]
        b.Node("ConcatFromSequence", new[] { "s4" }, new[] { "cat" }, A.Int("axis", 0));
        b.Node("SequenceAt", new[] { "s4", b.Ints(1) }, new[] { "second" });
        b.Node("SequenceLength", new[] { "s4" }, new[] { "len" });
        b.Output("cat").Output("second").Output("len", 7);
        ModelCheck.AgainstOrt(b.Build(), new[] { ("a", new[] { 2, 3 }), ("b", new[] { 2, 3 }), ("c", new[] { 4, 3 }) }, rtol: 0, atol: 0);
    }

    [Theory]
    [InlineData(1, 0, -1)]
    [InlineData(0, 1, -1)]
    [InlineData(1, 1, 2)]
    [InlineData(1, 1, 0)]
    public void SplitThenStack(int axis, int keepdims, long chunk)
    {
        var b = new OnnxBuilder(13).Input("x", 3, 5);
        var inputs = chunk > 0 ? new[] { "x", b.Initializer("chunk", System.Array.Empty<int>(), new[] { chunk }) } : new[] { "x" };
        if (chunk == 0) inputs = new[] { "x", b.Ints(1, 3, 1) };
        b.Node("SplitToSequence", inputs, new[] { "s" }, A.Int("axis", axis), A.Int("keepdims", keepdims));
        b.Node("SequenceAt", new[] { "s", b.Ints(-1) }, new[] { "last" });
        b.Node("SequenceErase", new[] { "s", b.Ints(0) }, new[] { "rest" });
        b.Node("ConcatFromSequence", new[] { "rest" }, new[] { "stacked" }, A.Int("axis", keepdims == 0 ? 0 : axis), A.Int("new_axis", keepdims == 0 ? 1 : 0));
        b.Output("last").Output("stacked");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 5 }) }, rtol: 0, atol: 0);
    }

    [Fact]
    public void ASequenceGraphInputIsRefused()
    {
        var b = new OnnxBuilder(13).Input("x", 2);
        b.Node("SequenceAt", new[] { "nowhere", b.Ints(0) }, new[] { "y" }).Output("y");
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(b.Build(), "seq_bad.onnx"));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0202", d.Id);
        Assert.Contains("not known at compile time", d.GetMessage());
    }

    /// <summary>ReverseSequence with lengths known only at run time (an initializer here, read by the kernel).</summary>
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    public void ReverseSequence(int batchAxis, int timeAxis)
    {
        var shape = batchAxis == 0 ? new[] { 3, 4, 2 } : new[] { 4, 3, 2 };
        var b = new OnnxBuilder(10).Input("x", shape);
        b.Node("ReverseSequence", new[] { "x", b.Initializer("lens", new[] { 3 }, new long[] { 4, 0, 2 }) }, new[] { "y" },
            A.Int("batch_axis", batchAxis), A.Int("time_axis", timeAxis)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", shape) }, rtol: 0, atol: 0);
    }

    [Fact]
    public void ASequenceGraphOutputIsRefused()
    {
        var b = new OnnxBuilder(13).Input("x", new[] { 2 });
        b.Node("SequenceConstruct", new[] { "x", "x" }, new[] { "s" });
        b.Node("Identity", new[] { "s" }, new[] { "y" }).Output("y");
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(b.Build(), "seq_out.onnx"));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0202", d.Id);
        Assert.Contains("graph output 'y' is a sequence", d.GetMessage());
    }
}
