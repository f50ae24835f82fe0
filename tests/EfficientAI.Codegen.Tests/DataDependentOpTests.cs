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
}
