using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>If with branches that read outer-scope values: run-time and compile-time conditions, nesting, against ONNX Runtime.</summary>
public class ControlFlowTests
{
    /// <summary>A branch graph: nodes (op, inputs, outputs, attributes) and its outputs (float unless stated).</summary>
    internal static GraphProto Branch(string name, (string Op, string[] In, string[] Out, AttributeProto[] Attrs)[] nodes, params string[] outputs)
    {
        var g = new GraphProto { Name = name };
        int k = 0;
        foreach (var (op, ins, outs, attrs) in nodes)
        {
            var n = new NodeProto { OpType = op, Name = name + "_" + op.ToLowerInvariant() + "_" + k++ };
            n.Input.AddRange(ins);
            n.Output.AddRange(outs);
            n.Attribute.AddRange(attrs);
            g.Node.Add(n);
        }
        foreach (var o in outputs)
            g.Output.Add(new ValueInfoProto { Name = o, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        return g;
    }

    internal static (string, string[], string[], AttributeProto[]) N(string op, string[] ins, string[] outs, params AttributeProto[] attrs) => (op, ins, outs, attrs);

    internal static AttributeProto GraphAttr(string name, GraphProto g) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = g };

    /// <summary>
    /// x [2,3], bool c, bool d. then: (Relu(x + w), outer w) with a nested If on d; else: (x * x, Neg(x)).
    /// Sibling branches define the same local names ("t", "u"); the inner branches read the then-branch's "t".
    /// </summary>
    private static byte[] NestedIfModel()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 3).Input("c", 9, Array.Empty<object>()).Input("d", 9, Array.Empty<object>());
        b.Initializer("w", new[] { 3 }, new[] { 0.5f, -1f, 2f });
        b.Node("Sigmoid", "x", "sg");
        var innerThen = Branch("inner_then", new[] { N("Add", new[] { "t", "x" }, new[] { "u" }) }, "u");
        var innerElse = Branch("inner_else", new[] { N("Sub", new[] { "t", "w" }, new[] { "u" }) }, "u");
        var then = Branch("then", new[]
        {
            N("Add", new[] { "x", "w" }, new[] { "t" }),
            N("Relu", new[] { "t" }, new[] { "r" }),
            N("If", new[] { "d" }, new[] { "s" }, GraphAttr("then_branch", innerThen), GraphAttr("else_branch", innerElse)),
            N("Mul", new[] { "s", "r" }, new[] { "m" }),
            N("Neg", new[] { "x" }, new[] { "nx" }), // the same node as in else: must not merge across branches
            N("Add", new[] { "m", "nx" }, new[] { "o2" }),
        }, "r", "o2");
        var otherwise = Branch("else", new[]
        {
            N("Mul", new[] { "x", "x" }, new[] { "t" }),
            N("Neg", new[] { "x" }, new[] { "n" }),
        }, "t", "n");
        b.Node("If", new[] { "c" }, new[] { "y1", "y2" }, GraphAttr("then_branch", then), GraphAttr("else_branch", otherwise));
        b.Node("Add", new[] { "y1", "sg" }, new[] { "z" });
        b.Output("z").Output("y2");
        return b.Build();
    }

    [Fact]
    public void RuntimeConditionSelectsEitherBranch()
    {
        var model = NestedIfModel();
        var runner = GeneratorHarness.Compile(model);
        int seed = 3;
        foreach (var c in new[] { true, false })
            foreach (var d in new[] { true, false })
            {
                var x = OrtReference.RandomFloats(6, seed++, 2f); // fresh data each call: stale arena contents cannot pass
                var expected = OrtReference.Run(model, new[] { ("x", (Array)x, new[] { 2, 3 }), ("c", new[] { c }, Array.Empty<int>()), ("d", new[] { d }, Array.Empty<int>()) });
                var actual = runner.Run(x, new[] { c }, new[] { d });
                for (int o = 0; o < 2; o++) OrtReference.AssertClose(expected[o], actual[o], 1e-6, 1e-6, $"c={c} d={d} output {o}");
            }
        Assert.Equal(0, runner.Allocations(new Array[] { OrtReference.RandomFloats(6, 1), new[] { true }, new[] { false } }, 200));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ConstantConditionInlinesTheTakenBranch(bool c)
    {
        var model = NestedIfModel();
        var metadata = new Dictionary<string, string> { ["ConstantInputs"] = "c=" + (c ? 1 : 0) };
        var (output, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(model, "if_const.onnx"), metadata);
        Assert.DoesNotContain(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        var source = string.Join("\n", output.SyntaxTrees.Select(t => t.ToString()));
        Assert.Equal(c, source.Contains("// Relu")); // only then_branch has a Relu

        var runner = GeneratorHarness.Compile(model, metadata, fileName: "if_const.onnx");
        var x = OrtReference.RandomFloats(6, 4, 2f);
        foreach (var d in new[] { true, false })
        {
            var expected = OrtReference.Run(model, new[] { ("x", (Array)x, new[] { 2, 3 }), ("c", new[] { c }, Array.Empty<int>()), ("d", new[] { d }, Array.Empty<int>()) });
            var actual = runner.Run(x, new[] { d });
            for (int o = 0; o < 2; o++) OrtReference.AssertClose(expected[o], actual[o], 1e-6, 1e-6, $"c={c} d={d} output {o}");
        }
    }

    [Fact]
    public void RuntimeConditionWithBranchShapesThatDifferIsRefused()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 3).Input("c", 9, Array.Empty<object>());
        b.Initializer("shape", new[] { 1 }, new long[] { 6 });
        var then = Branch("then", new[] { N("Reshape", new[] { "x", "shape" }, new[] { "f" }) }, "f");
        var otherwise = Branch("else", new[] { N("Relu", new[] { "x" }, new[] { "r" }) }, "r");
        b.Node("If", new[] { "c" }, new[] { "y" }, GraphAttr("then_branch", then), GraphAttr("else_branch", otherwise)).Output("y");
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(b.Build(), "if_shapes.onnx"));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0204", d.Id);
        Assert.Contains("[6]", d.GetMessage());
        Assert.Contains("[2,3]", d.GetMessage());
        Assert.Contains("'c'", d.GetMessage());
    }

    [Fact]
    public void UnsupportedOpInsideABranchIsListed()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 3).Input("c", 9, Array.Empty<object>());
        var then = Branch("then", new[] { N("FancyOp", new[] { "x" }, new[] { "f" }) }, "f");
        var otherwise = Branch("else", new[] { N("Relu", new[] { "x" }, new[] { "r" }) }, "r");
        b.Node("If", new[] { "c" }, new[] { "y" }, GraphAttr("then_branch", then), GraphAttr("else_branch", otherwise)).Output("y");
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(b.Build(), "if_fancy.onnx"));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0101", d.Id);
        Assert.Contains("FancyOp", d.GetMessage());
    }
}
