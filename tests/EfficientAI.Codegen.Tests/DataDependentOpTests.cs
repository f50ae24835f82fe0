using System;
using System.Linq;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// Ops whose output shape depends on input values (Compress, the window functions): compiled when those values are
/// constant, refused with EAI0204 naming the input otherwise. Against ONNX Runtime.
/// </summary>
public class DataDependentOpTests
{
    private static TensorProto Bools(string name, params bool[] values)
    {
        var t = new TensorProto { Name = name, DataType = 9 };
        t.Dims.Add(values.Length);
        t.Int32Data.AddRange(values.Select(v => v ? 1 : 0));
        return t;
    }

    /// <summary>Along axis 0, 1, -1 and flattened (no axis), with a condition shorter than the axis.</summary>
    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(-1)] [InlineData(null)]
    public void CompressWithConstantCondition(int? axis)
    {
        var b = new OnnxBuilder(11).Input("x", 4, 4, 5);
        b.Graph.Initializer.Add(Bools("c", true, false, true));
        var attrs = axis is { } a ? new[] { A.Int("axis", a) } : Array.Empty<AttributeProto>();
        b.Node("Compress", new[] { "x", "c" }, new[] { "y" }, attrs).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 4, 4, 5 }) });
    }

    [Fact]
    public void CompressWithRuntimeConditionIsRefused()
    {
        var b = new OnnxBuilder(11).Input("x", 3, 4).Typed("c", 9, 3)
            .Node("Compress", new[] { "x", "c" }, new[] { "y" }, A.Int("axis", 0)).Output("y");
        var e = Assert.Throws<InvalidOperationException>(() => GeneratorHarness.Compile(b.Build()));
        Assert.Contains("EAI0204", e.Message);
        Assert.Contains("'c'", e.Message);
    }

    /// <summary>Periodic and symmetric windows of each kind, float and double (atol 1e-6: values near 0 at the ends).</summary>
    [Theory]
    [InlineData("HannWindow", 1, 1)] [InlineData("HannWindow", 0, 1)]
    [InlineData("HammingWindow", 1, 1)] [InlineData("HammingWindow", 0, 11)]
    [InlineData("BlackmanWindow", 1, 11)] [InlineData("BlackmanWindow", 0, 1)]
    public void WindowFunctions(string op, int periodic, int dtype)
    {
        var b = new OnnxBuilder(17);
        b.Initializer("n", Array.Empty<int>(), new long[] { 10 });
        b.Node(op, new[] { "n" }, new[] { "w" }, A.Int("periodic", periodic), A.Int("output_datatype", dtype)).Output("w", dtype);
        var model = b.Build();
        var expected = OrtReference.Run(model, Array.Empty<(string, Array, int[])>());
        var actual = GeneratorHarness.Compile(model).Run();
        OrtReference.AssertClose(expected[0], actual[0], 1e-5, 1e-6, op);
    }

    /// <summary>Scatter (opset 10) is ScatterElements under its old name.</summary>
    [Fact]
    public void ScatterOfOpset10()
    {
        var b = new OnnxBuilder(10).Input("x", 3, 4).Typed("i", 7, 2, 4).Input("u", 2, 4)
            .Node("Scatter", new[] { "x", "i", "u" }, new[] { "y" }, A.Int("axis", 0)).Output("y");
        TypedInputs.AgainstOrt(b.Build(), new[]
        {
            ("x", (Array)OrtReference.RandomFloats(12, 1), new[] { 3, 4 }), ("i", new long[] { 0, 2, 1, -1, 1, 0, 2, 0 }, new[] { 2, 4 }),
            ("u", OrtReference.RandomFloats(8, 2), new[] { 2, 4 }),
        });
    }

    /// <summary>Runs a model without inputs in the generator and ONNX Runtime; every output must match exactly.</summary>
    private static void ConstantModelMatchesOrt(byte[] model)
    {
        var expected = OrtReference.Run(model, Array.Empty<(string, Array, int[])>());
        var actual = GeneratorHarness.Compile(model).Run();
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++) OrtReference.AssertClose(expected[k], actual[k], 0, 0, $"output {k}");
    }

    /// <summary>Sorted and first-occurrence order, flattened and along axes 0, 1 and -1, all four outputs.</summary>
    [Theory]
    [InlineData(1, null)] [InlineData(0, null)] [InlineData(1, 0)] [InlineData(1, 1)] [InlineData(0, -1)]
    public void UniqueOfAConstant(int sorted, int? axis)
    {
        var b = new OnnxBuilder(11);
        b.Initializer("x", new[] { 4, 3 }, new[] { 2f, 1f, 2f, -1f, 3f, -1f, 2f, 1f, 2f, 0.5f, 1f, 0.5f });
        var attrs = new[] { A.Int("sorted", sorted) }.Concat(axis is { } a ? new[] { A.Int("axis", a) } : Array.Empty<AttributeProto>()).ToArray();
        b.Node("Unique", new[] { "x" }, new[] { "y", "indices", "inverse", "counts" }, attrs)
            .Output("y").Output("indices", 7).Output("inverse", 7).Output("counts", 7);
        ConstantModelMatchesOrt(b.Build());
    }

    /// <summary>Random boxes in both formats, two batches and classes, with IoU and score thresholds and an output limit.</summary>
    [Theory]
    [InlineData(0, 3, 0.4f, 0.2f)] [InlineData(1, 2, 0.5f, 0f)] [InlineData(0, 100, 0.3f, 0.6f)]
    public void NonMaxSuppressionOfConstants(int centerPointBox, long maxPerClass, float iou, float scoreThreshold)
    {
        var rng = new Random(centerPointBox * 7 + (int)maxPerClass);
        var boxes = Enumerable.Range(0, 2 * 12 * 4).Select(_ => (float)rng.NextDouble() * 4).ToArray();
        var b = new OnnxBuilder(11);
        b.Initializer("boxes", new[] { 2, 12, 4 }, boxes);
        b.Initializer("scores", new[] { 2, 2, 12 }, Enumerable.Range(0, 48).Select(_ => (float)rng.NextDouble()).ToArray());
        b.Initializer("max", new[] { 1 }, new[] { maxPerClass });
        b.Initializer("iou", new[] { 1 }, new[] { iou });
        b.Initializer("score", new[] { 1 }, new[] { scoreThreshold });
        b.Node("NonMaxSuppression", new[] { "boxes", "scores", "max", "iou", "score" }, new[] { "selected" }, A.Int("center_point_box", centerPointBox))
            .Output("selected", 7);
        ConstantModelMatchesOrt(b.Build());
    }

    [Fact]
    public void UniqueOfARuntimeInputIsRefused()
    {
        var b = new OnnxBuilder(11).Input("x", 6).Node("Unique", "x", "y").Output("y");
        var e = Assert.Throws<InvalidOperationException>(() => GeneratorHarness.Compile(b.Build()));
        Assert.Contains("EAI0204", e.Message);
        Assert.Contains("'x'", e.Message);
    }

    /// <summary>MelWeightMatrix of constants (atol 1e-6).</summary>
    [Theory]
    [InlineData(8, 64, 16000, 0f, 8000f)] [InlineData(12, 100, 22050, 300f, 6000f)]
    public void MelWeightMatrixOfConstants(long mels, long dft, long sampleRate, float lower, float upper)
    {
        var b = new OnnxBuilder(17);
        b.Initializer("mels", Array.Empty<int>(), new[] { mels });
        b.Initializer("dft", Array.Empty<int>(), new[] { dft });
        b.Initializer("rate", Array.Empty<int>(), new[] { sampleRate });
        b.Initializer("lower", Array.Empty<int>(), new[] { lower });
        b.Initializer("upper", Array.Empty<int>(), new[] { upper });
        b.Node("MelWeightMatrix", new[] { "mels", "dft", "rate", "lower", "upper" }, new[] { "w" }).Output("w");
        var model = b.Build();
        var expected = OrtReference.Run(model, Array.Empty<(string, Array, int[])>());
        var actual = GeneratorHarness.Compile(model).Run();
        OrtReference.AssertClose(expected[0], actual[0], 1e-5, 1e-6, "weights");
        Assert.Contains(((float[])actual[0]), v => v > 0.5f);
    }
}
