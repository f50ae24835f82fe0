using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Google.Protobuf;
using Microsoft.CodeAnalysis;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;
using static EfficientAI.Codegen.Tests.ControlFlowTests;

namespace EfficientAI.Codegen.Tests;

/// <summary>Compiler limits (node count, subgraph depth) and external tensor data confined to the model's folder.</summary>
public class HardeningTests
{
    private static readonly float[] s_w = OrtReference.RandomFloats(12, 31);
    private static readonly float[] s_b = OrtReference.RandomFloats(4, 32);

    /// <summary>
    /// y = x [2,3] @ W [3,4] + B [4], with W at offset 0 and B at offset 64 of one data file (the layout ONNX's
    /// external-data writer uses: each tensor at an aligned offset, with explicit length).
    /// </summary>
    private static (string Folder, string ModelPath) ExternalModel(string wLocation = "weights.bin", string bLocation = "weights.bin", long? bLength = null, bool writeData = true)
    {
        var folder = Path.Combine(GeneratorHarness.TempDir, "external-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var b = new OnnxBuilder(13).Input("x", 2, 3);
        b.Node("MatMul", new[] { "x", "W" }, new[] { "m" }).Node("Add", new[] { "m", "B" }, new[] { "y" }).Output("y");
        b.Model.Graph.Initializer.Add(External("W", new[] { 3, 4 }, wLocation, 0, 48));
        b.Model.Graph.Initializer.Add(External("B", new[] { 4 }, bLocation, 64, bLength ?? 16));
        var path = Path.Combine(folder, "model.onnx");
        File.WriteAllBytes(path, b.Build());
        if (writeData)
        {
            var data = new byte[80];
            Buffer.BlockCopy(s_w, 0, data, 0, 48);
            Buffer.BlockCopy(s_b, 0, data, 64, 16);
            File.WriteAllBytes(Path.Combine(folder, "weights.bin"), data);
        }
        return (folder, path);
    }

    private static TensorProto External(string name, int[] shape, string location, long offset, long length)
    {
        var t = new TensorProto { Name = name, DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return t;
    }

    private static Diagnostic Refused(string modelPath, string id)
    {
        var (_, diagnostics, run) = GeneratorHarness.Generate(modelPath);
        Assert.All(run.Results, r => Assert.Null(r.Exception));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal(id, d.Id);
        return d;
    }

    [Fact]
    public void ExternalDataInsideTheFolderMatchesOnnxRuntime()
    {
        var (_, path) = ExternalModel();
        var (output, diagnostics, _) = GeneratorHarness.Generate(path);
        Assert.DoesNotContain(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        var runner = CompiledModelRunner.Load(output, "TestModels", ModelOptions.DefaultClassName(path));
        var x = OrtReference.RandomFloats(6, 33);
        using var session = new InferenceSession(path); // ONNX Runtime resolves the same external file itself
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, new[] { 2, 3 })) });
        var expected = results.First().AsTensor<float>().ToArray();
        OrtReference.AssertClose(expected, runner.Run(x)[0], 1e-6, 1e-6, "y");
    }

    [Fact]
    public void ExternalDataInASubfolderAndThroughAnInnerLinkIsRead()
    {
        var (folder, path) = ExternalModel(wLocation: "data/w.bin", bLocation: "b-link.bin");
        Directory.CreateDirectory(Path.Combine(folder, "data"));
        File.Copy(Path.Combine(folder, "weights.bin"), Path.Combine(folder, "data", "w.bin"));
        File.CreateSymbolicLink(Path.Combine(folder, "b-link.bin"), Path.Combine(folder, "weights.bin"));
        var (_, diagnostics, _) = GeneratorHarness.Generate(path);
        Assert.DoesNotContain(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void AbsoluteExternalPathIsRefused()
    {
        var (folder, path) = ExternalModel(wLocation: Path.Combine(Path.GetTempPath(), "weights.bin"));
        var message = Refused(path, "EAI0006").GetMessage();
        Assert.Contains("'W'", message);
        Assert.Contains("absolute", message);
    }

    [Fact]
    public void ExternalPathWithDotDotIsRefused()
    {
        var (_, path) = ExternalModel(bLocation: "../weights.bin");
        var message = Refused(path, "EAI0006").GetMessage();
        Assert.Contains("'B'", message);
        Assert.Contains("..", message);
    }

    [Fact]
    public void LinkLeadingOutOfTheFolderIsRefused()
    {
        var (folder, path) = ExternalModel(wLocation: "escape.bin");
        var outside = Path.Combine(GeneratorHarness.TempDir, "outside-" + Guid.NewGuid().ToString("N")[..8] + ".bin");
        File.WriteAllBytes(outside, new byte[80]);
        File.CreateSymbolicLink(Path.Combine(folder, "escape.bin"), outside);
        Assert.Contains("link", Refused(path, "EAI0006").GetMessage());
    }

    [Fact]
    public void LinkedFolderLeadingOutIsRefused()
    {
        var (folder, path) = ExternalModel(wLocation: "sub/weights.bin");
        Directory.CreateSymbolicLink(Path.Combine(folder, "sub"), Path.GetDirectoryName(folder)!);
        Assert.Contains("link", Refused(path, "EAI0006").GetMessage());
    }

    [Fact]
    public void RangePastTheEndOfTheFileIsRefused()
    {
        var (_, path) = ExternalModel(bLength: 1L << 40);
        Assert.Contains("bytes [64,", Refused(path, "EAI0006").GetMessage());
    }

    [Fact]
    public void MissingExternalFileIsRefused()
    {
        var (_, path) = ExternalModel(writeData: false);
        Assert.Contains("cannot open", Refused(path, "EAI0006").GetMessage());
    }

    [Fact]
    public void SubgraphsNestedPastTheLimitAreRefused()
    {
        // Identity inside 33 nested Ifs (the limit is 32): each level's then-branch holds the next If.
        static GraphProto Leaf(string name) => Branch(name, new[] { N("Identity", new[] { "x" }, new[] { "r" }) }, "r");
        GraphProto level = Leaf("leaf");
        for (int depth = 0; depth < 32; depth++)
            level = Branch("l" + depth, new[] { N("If", new[] { "c" }, new[] { "r" }, GraphAttr("then_branch", level), GraphAttr("else_branch", Leaf("e" + depth))) }, "r");
        var b = new OnnxBuilder(13).Input("x", 2, 3).Input("c", 9, Array.Empty<object>());
        b.Node("If", new[] { "c" }, new[] { "y" }, GraphAttr("then_branch", level), GraphAttr("else_branch", Leaf("top"))).Output("y");
        var message = Refused(GeneratorHarness.WriteModel(b.Build()), "EAI0401").GetMessage();
        Assert.Contains("MaxSubgraphDepth", message);
    }

    [Fact]
    public void MoreNodesThanTheLimitAreRefused()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 2);
        var nodes = b.Model.Graph.Node;
        for (int i = 0; i <= Diagnostics.Limits.MaxNodes; i++)
            nodes.Add(new NodeProto { OpType = "Relu", Input = { i == 0 ? "x" : "v" + (i - 1) }, Output = { "v" + i } });
        b.Output("v" + Diagnostics.Limits.MaxNodes);
        var message = Refused(GeneratorHarness.WriteModel(b.Build()), "EAI0401").GetMessage();
        Assert.Contains("MaxNodes", message);
    }
}
