using System;
using System.Linq;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Every op of the foundation set, with its attribute variants, against ONNX Runtime on random inputs (rtol 1e-4, atol 1e-5).</summary>
public class OpTests
{
    private static float[] W(int n, int seed) => OrtReference.RandomFloats(n, seed, 0.5f);

    private static void Unary(string op, int opset = 13, float scale = 2f, params AttributeProto[] attrs)
    {
        var b = new OnnxBuilder(opset).Input("x", 2, 3, 5, 7).Node(op, "x", "y", attrs).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 3, 5, 7 }) }, scale: scale);
    }

    [Theory]
    [InlineData("Relu")] [InlineData("Sigmoid")] [InlineData("Tanh")] [InlineData("Exp")] [InlineData("Neg")] [InlineData("Abs")]
    [InlineData("Floor")] [InlineData("Ceil")] [InlineData("Softsign")] [InlineData("Softplus")] [InlineData("Sin")] [InlineData("Cos")]
    public void UnaryOps(string op) => Unary(op);

    [Fact] public void Sqrt() { var b = new OnnxBuilder().Input("x", 4, 33).Node("Abs", "x", "a").Node("Sqrt", "a", "y").Output("y"); ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 4, 33 }) }); }
    [Fact] public void Log() { var b = new OnnxBuilder().Input("x", 4, 33).Node("Abs", "x", "a").Node("Log", "a", "y").Output("y"); ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 4, 33 }) }); }
    [Fact] public void LeakyRelu() { Unary("LeakyRelu"); Unary("LeakyRelu", 13, 2f, A.Float("alpha", 0.3f)); }
    [Fact] public void HardSigmoid() { Unary("HardSigmoid", 13, 4f); Unary("HardSigmoid", 13, 4f, A.Float("alpha", 0.3f), A.Float("beta", 0.4f)); }
    [Fact] public void Elu() => Unary("Elu", 13, 2f, A.Float("alpha", 0.7f));
    [Fact] public void ClipAttributes() => Unary("Clip", 6, 2f, A.Float("min", -0.5f), A.Float("max", 0.25f));

    [Fact]
    public void ClipInputs()
    {
        var b = new OnnxBuilder(13).Input("x", 3, 17);
        b.Initializer("lo", Array.Empty<int>(), new[] { -0.3f });
        b.Initializer("hi", Array.Empty<int>(), new[] { 0.6f });
        b.Node("Clip", new[] { "x", "lo", "hi" }, new[] { "y" }).Node("Clip", new[] { "x", "", "hi" }, new[] { "z" }).Output("y").Output("z");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 17 }) });
    }

    [Theory]
    [InlineData("Add", new[] { 2, 3, 4, 5 }, new[] { 2, 3, 4, 5 })]
    [InlineData("Add", new[] { 2, 3, 4, 5 }, new[] { 5 })]
    [InlineData("Sub", new[] { 2, 3, 4, 5 }, new[] { 3, 1, 1 })]
    [InlineData("Mul", new[] { 1, 3, 1, 5 }, new[] { 2, 1, 4, 1 })]
    [InlineData("Div", new[] { 4, 1 }, new[] { 1, 7 })]
    [InlineData("Mul", new[] { 2, 3 }, new int[0])]
    [InlineData("Sub", new int[0], new[] { 2, 3 })]
    [InlineData("Add", new[] { 1, 16, 9, 9 }, new[] { 1, 16, 1, 1 })]
    public void Binary(string op, int[] a, int[] bShape)
    {
        var b = new OnnxBuilder().Input("a", a).Input("b", bShape).Node(op, new[] { "a", "b" }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("a", a), ("b", bShape) });
    }

    [Fact]
    public void PowWithConstantAndRuntimeExponent()
    {
        var b = new OnnxBuilder().Input("a", 3, 8).Input("e", 3, 8);
        b.Initializer("two", Array.Empty<int>(), new[] { 2f });
        b.Node("Abs", "a", "p").Node("Pow", new[] { "p", "e" }, new[] { "y" }).Node("Pow", new[] { "a", "two" }, new[] { "z" }).Output("y").Output("z");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("a", new[] { 3, 8 }), ("e", new[] { 3, 8 }) });
    }

    [Fact]
    public void BinaryWithInitializer()
    {
        var b = new OnnxBuilder().Input("x", 2, 4);
        b.Initializer("c", new[] { 4 }, W(4, 3), raw: false);
        b.Node("Add", new[] { "x", "c" }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 4 }) });
    }

    public static TheoryData<int[], int[], long, long[]?, long[]?, long[]?, string?> ConvCases() => new()
    {
        // x shape, w shape, group, strides, pads, dilations, auto_pad
        { new[] { 1, 3, 9, 9 }, new[] { 4, 3, 3, 3 }, 1, null, null, null, null },
        { new[] { 2, 3, 9, 10 }, new[] { 4, 3, 3, 3 }, 1, new long[] { 2, 2 }, new long[] { 1, 1, 1, 1 }, null, null },
        { new[] { 1, 4, 8, 8 }, new[] { 6, 2, 3, 3 }, 2, null, new long[] { 1, 0, 2, 1 }, null, null },
        { new[] { 1, 8, 7, 7 }, new[] { 8, 1, 3, 3 }, 8, new long[] { 2, 1 }, new long[] { 1, 1, 1, 1 }, null, null },
        { new[] { 1, 3, 11, 11 }, new[] { 5, 3, 3, 3 }, 1, null, new long[] { 2, 2, 2, 2 }, new long[] { 2, 2 }, null },
        { new[] { 1, 3, 10, 10 }, new[] { 4, 3, 3, 3 }, 1, new long[] { 2, 2 }, null, null, "SAME_UPPER" },
        { new[] { 1, 3, 10, 10 }, new[] { 4, 3, 4, 4 }, 1, new long[] { 3, 3 }, null, null, "SAME_LOWER" },
        { new[] { 1, 3, 10, 10 }, new[] { 4, 3, 3, 3 }, 1, new long[] { 2, 2 }, null, null, "VALID" },
        { new[] { 1, 16, 6, 6 }, new[] { 8, 16, 1, 1 }, 1, null, null, null, null },
        { new[] { 1, 2, 50 }, new[] { 4, 2, 5 }, 1, new long[] { 3 }, new long[] { 2, 1 }, null, null },
        { new[] { 1, 4, 40 }, new[] { 4, 1, 7 }, 4, new long[] { 2 }, new long[] { 3, 3 }, new long[] { 2 }, null },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv(int[] x, int[] w, long group, long[]? strides, long[]? pads, long[]? dilations, string? autoPad)
    {
        foreach (bool bias in new[] { false, true })
        {
            var b = new OnnxBuilder().Input("x", x);
            b.Initializer("w", w, W(w.Aggregate(1, (p, q) => p * q), 7));
            var inputs = bias ? new[] { "x", "w", b.Initializer("b", new[] { w[0] }, W(w[0], 8)) } : new[] { "x", "w" };
            var attrs = new[] { A.Int("group", group) }.ToList();
            if (strides is not null) attrs.Add(A.Ints("strides", strides));
            if (pads is not null) attrs.Add(A.Ints("pads", pads));
            if (dilations is not null) attrs.Add(A.Ints("dilations", dilations));
            if (autoPad is not null) attrs.Add(A.Str("auto_pad", autoPad));
            if (bias) attrs.Add(A.Ints("kernel_shape", w.Skip(2).Select(d => (long)d).ToArray())); // explicit and inferred kernel_shape
            b.Node("Conv", inputs, new[] { "y" }, attrs.ToArray()).Output("y");
            ModelCheck.AgainstOrt(b.Build(), new[] { ("x", x) });
        }
    }

    [Theory]
    [InlineData(0, 0, 1f, 1f, 2)] [InlineData(1, 0, 0.5f, 1f, 2)] [InlineData(0, 1, 1f, 0.3f, 2)] [InlineData(1, 1, 2f, 0.7f, 1)]
    [InlineData(0, 1, 1f, 1f, 0)] [InlineData(0, 0, 1f, 1f, 3)] [InlineData(1, 1, 1f, 1f, 4)]
    public void Gemm(int transA, int transB, float alpha, float beta, int cKind)
    {
        int m = 5, n = 7, k = 9;
        var b = new OnnxBuilder().Input("a", transA == 1 ? new[] { k, m } : new[] { m, k });
        b.Initializer("b", transB == 1 ? new[] { n, k } : new[] { k, n }, W(n * k, 3));
        var inputs = new[] { "a", "b" }.ToList();
        // cKind: 0 none, 1 [n], 2 [m,n], 3 [m,1], 4 scalar
        if (cKind > 0)
        {
            var shape = cKind switch { 1 => new[] { n }, 2 => new[] { m, n }, 3 => new[] { m, 1 }, _ => Array.Empty<int>() };
            inputs.Add(b.Initializer("c", shape, W(Math.Max(1, shape.Aggregate(1, (p, q) => p * q)), 4)));
        }
        b.Node("Gemm", inputs.ToArray(), new[] { "y" }, A.Int("transA", transA), A.Int("transB", transB), A.Float("alpha", alpha), A.Float("beta", beta)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("a", transA == 1 ? new[] { k, m } : new[] { m, k }) });
    }

    [Theory]
    [InlineData(new[] { 4, 6 }, new[] { 6, 3 })]
    [InlineData(new[] { 2, 4, 6 }, new[] { 6, 3 })]
    [InlineData(new[] { 2, 1, 4, 6 }, new[] { 3, 6, 5 })]
    [InlineData(new[] { 6 }, new[] { 2, 6, 3 })]
    [InlineData(new[] { 3, 4, 6 }, new[] { 6 })]
    [InlineData(new[] { 1, 6 }, new[] { 6, 1 })]
    public void MatMul(int[] a, int[] bShape)
    {
        var b = new OnnxBuilder().Input("a", a).Input("b", bShape).Node("MatMul", new[] { "a", "b" }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("a", a), ("b", bShape) });
    }

    [Fact]
    public void BatchNormalization()
    {
        var b = new OnnxBuilder().Input("x", 2, 3, 4, 5);
        b.Initializer("s", new[] { 3 }, W(3, 1)); b.Initializer("bi", new[] { 3 }, W(3, 2));
        b.Initializer("m", new[] { 3 }, W(3, 3)); b.Initializer("v", new[] { 3 }, W(3, 4).Select(Math.Abs).ToArray());
        b.Node("BatchNormalization", new[] { "x", "s", "bi", "m", "v" }, new[] { "y" }, A.Float("epsilon", 1e-3f)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 3, 4, 5 }) });
    }

    public static TheoryData<string, int[], long[], long[]?, long[]?, int, int, string?, long[]?> PoolCases() => new()
    {
        // op, x, kernel, strides, pads, ceil, count_include_pad, auto_pad, dilations
        { "MaxPool", new[] { 1, 3, 8, 8 }, new long[] { 2, 2 }, new long[] { 2, 2 }, null, 0, 0, null, null },
        { "MaxPool", new[] { 2, 2, 9, 9 }, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1, 1, 1 }, 0, 0, null, null },
        { "MaxPool", new[] { 1, 2, 10, 10 }, new long[] { 3, 3 }, new long[] { 2, 2 }, null, 1, 0, null, null },
        { "MaxPool", new[] { 1, 2, 10, 11 }, new long[] { 2, 3 }, new long[] { 1, 2 }, null, 0, 0, "SAME_UPPER", null },
        { "MaxPool", new[] { 1, 2, 10, 10 }, new long[] { 2, 2 }, new long[] { 1, 1 }, null, 0, 0, null, new long[] { 2, 2 } },
        { "MaxPool", new[] { 1, 3, 20 }, new long[] { 3 }, new long[] { 2 }, new long[] { 1, 1 }, 0, 0, null, null },
        { "AveragePool", new[] { 1, 3, 8, 8 }, new long[] { 2, 2 }, new long[] { 2, 2 }, null, 0, 0, null, null },
        { "AveragePool", new[] { 1, 2, 9, 9 }, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1, 1, 1 }, 0, 0, null, null },
        { "AveragePool", new[] { 1, 2, 9, 9 }, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1, 1, 1 }, 0, 1, null, null },
        { "AveragePool", new[] { 1, 2, 10, 10 }, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 0, 0, 1, 1 }, 1, 1, null, null },
        { "AveragePool", new[] { 1, 2, 10, 10 }, new long[] { 3, 3 }, new long[] { 2, 2 }, null, 0, 0, "SAME_LOWER", null },
    };

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void Pool(string op, int[] x, long[] kernel, long[]? strides, long[]? pads, int ceil, int include, string? autoPad, long[]? dilations)
    {
        var attrs = new[] { A.Ints("kernel_shape", kernel), A.Int("ceil_mode", ceil) }.ToList();
        if (strides is not null) attrs.Add(A.Ints("strides", strides));
        if (pads is not null) attrs.Add(A.Ints("pads", pads));
        if (autoPad is not null) attrs.Add(A.Str("auto_pad", autoPad));
        if (dilations is not null) attrs.Add(A.Ints("dilations", dilations));
        if (op == "AveragePool") attrs.Add(A.Int("count_include_pad", include));
        var b = new OnnxBuilder(op == "MaxPool" ? 12 : 19).Input("x", x).Node(op, "x", "y", attrs.ToArray()).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", x) });
    }

    [Fact]
    public void GlobalPools()
    {
        var b = new OnnxBuilder().Input("x", 2, 3, 5, 7).Node("GlobalAveragePool", "x", "y").Node("GlobalMaxPool", "x", "z").Output("y").Output("z");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 3, 5, 7 }) });
    }

    [Theory]
    [InlineData(1)] [InlineData(0)] [InlineData(3)] [InlineData(-1)]
    public void Flatten(int axis)
    {
        var b = new OnnxBuilder().Input("x", 2, 3, 4, 5).Node("Flatten", "x", "f", A.Int("axis", axis)).Node("Relu", "f", "y").Output("y").Output("f");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 3, 4, 5 }) });
    }

    [Fact]
    public void ReshapeWithZeroAndMinusOne()
    {
        var b = new OnnxBuilder().Input("x", 2, 3, 4);
        b.Node("Reshape", new[] { "x", b.Ints(0, -1) }, new[] { "r" }).Node("Sigmoid", "r", "s").Node("Reshape", new[] { "s", b.Ints(4, 6) }, new[] { "y" }).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 3, 4 }) });
    }

    [Theory]
    [InlineData(new long[] { 0, 2, 3, 1 })] [InlineData(new long[] { 3, 2, 1, 0 })] [InlineData(new long[] { 1, 0, 2, 3 })]
    public void Transpose(long[] perm)
    {
        var b = new OnnxBuilder().Input("x", 2, 3, 4, 5).Node("Transpose", "x", "y", A.Ints("perm", perm)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 3, 4, 5 }) });
    }

    [Fact]
    public void TransposeDefaultPerm()
    {
        var b = new OnnxBuilder().Input("x", 3, 4, 5).Node("Transpose", "x", "y").Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 4, 5 }) });
    }

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(2)] [InlineData(-1)]
    public void Concat(int axis)
    {
        int[] Shape(int extra) { var s = new[] { 2, 3, 4 }; s[axis < 0 ? 2 : axis] += extra; return s; }
        var b = new OnnxBuilder().Input("a", Shape(0)).Input("b", Shape(1));
        b.Initializer("c", Shape(2), W(Shape(2).Aggregate(1, (p, q) => p * q), 5));
        b.Node("Concat", new[] { "a", "b", "c" }, new[] { "y" }, A.Int("axis", axis)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("a", Shape(0)), ("b", Shape(1)) });
    }

    [Fact]
    public void SplitEqualAndSized()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 6, 5);
        b.Node("Split", new[] { "x" }, new[] { "a", "b", "c" }, A.Int("axis", 1));
        b.Node("Split", new[] { "x", b.Ints(1, 4) }, new[] { "d", "e" }, A.Int("axis", -1));
        foreach (var o in new[] { "a", "b", "c", "d", "e" }) b.Output(o);
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 6, 5 }) });
        var old = new OnnxBuilder(11).Input("x", 2, 6, 5).Node("Split", new[] { "x" }, new[] { "a", "b" }, A.Int("axis", 1), A.Ints("split", 2, 4)).Output("a").Output("b");
        ModelCheck.AgainstOrt(old.Build(), new[] { ("x", new[] { 2, 6, 5 }) });
    }

    [Theory]
    [InlineData("constant")] [InlineData("reflect")] [InlineData("edge")]
    public void Pad(string mode)
    {
        var b = new OnnxBuilder(13).Input("x", 1, 2, 5, 6);
        b.Initializer("v", Array.Empty<int>(), new[] { 0.75f });
        b.Node("Pad", new[] { "x", b.Ints(0, 0, 1, 2, 0, 0, 3, 1), mode == "constant" ? "v" : "" }, new[] { "y" }, A.Str("mode", mode)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 1, 2, 5, 6 }) });
    }

    [Fact]
    public void PadOldOpsetAndNegative()
    {
        var b = new OnnxBuilder(2).Input("x", 1, 2, 5, 6).Node("Pad", "x", "y", A.Ints("pads", 0, 0, 2, -1, 0, 0, -1, 2), A.Float("value", -1.5f)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 1, 2, 5, 6 }) });
    }

    [Theory]
    [InlineData(13, -1)] [InlineData(13, 1)] [InlineData(11, 1)] [InlineData(11, 2)] [InlineData(1, 1)]
    public void Softmax(int opset, int axis)
    {
        var b = new OnnxBuilder(opset).Input("x", 2, 3, 5).Node("Softmax", "x", "y", A.Int("axis", axis)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 3, 5 }) }, scale: 4f);
    }

    [Theory]
    [InlineData(new long[] { 1 }, 1)] [InlineData(new long[] { -1 }, 0)] [InlineData(new long[] { 0, 2 }, 1)] [InlineData(null, 0)]
    public void ReduceMean(long[]? axes, int keep)
    {
        var attrs = axes is null ? new[] { A.Int("keepdims", keep) } : new[] { A.Ints("axes", axes), A.Int("keepdims", keep) };
        var b = new OnnxBuilder(13).Input("x", 3, 4, 5).Node("ReduceMean", "x", "y", attrs).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 4, 5 }) });
    }

    [Fact]
    public void ConstantOfShapeAndConstantNodes()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 3);
        b.Node("Constant", Array.Empty<string>(), new[] { "shape" }, A.Ints("value_ints", 2, 3));
        b.Node("ConstantOfShape", new[] { "shape" }, new[] { "ones" }, A.Tensor("value", OnnxBuilder.FloatTensor("v", new[] { 1 }, new[] { 1.5f })));
        b.Node("Constant", Array.Empty<string>(), new[] { "k" }, A.Tensor("value", OnnxBuilder.FloatTensor("k", new[] { 3 }, new[] { 1f, -2f, 3f }, raw: false)));
        b.Node("Constant", Array.Empty<string>(), new[] { "s" }, A.Float("value_float", 0.25f));
        b.Node("Add", new[] { "x", "ones" }, new[] { "a" }).Node("Mul", new[] { "a", "k" }, new[] { "m" }).Node("Sub", new[] { "m", "s" }, new[] { "y" });
        b.Node("Identity", "y", "z").Output("y").Output("z");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 3 }) });
    }

    [Fact]
    public void ShapeSubgraphFoldsToConstantReshape()
    {
        // Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as exporters write a flatten.
        var b = new OnnxBuilder(13).Input("x", 2, 3, 4);
        b.Node("Shape", "x", "s").Node("Gather", new[] { "s", b.Initializer("i0", Array.Empty<int>(), new long[] { 0 }) }, new[] { "n" }, A.Int("axis", 0));
        b.Node("Unsqueeze", new[] { "n", b.Ints(0) }, new[] { "n1" }).Node("Concat", new[] { "n1", b.Ints(-1) }, new[] { "shape" }, A.Int("axis", 0));
        b.Node("Reshape", new[] { "x", "shape" }, new[] { "y" }).Output("y");
        var runner = ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 3, 4 }) });
        Assert.Equal(0, runner.ArenaBytes);
    }

    [Fact]
    public void ChainOfOpsSharesArena()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 3, 16, 16);
        b.Initializer("w1", new[] { 8, 3, 3, 3 }, W(8 * 27, 1)); b.Initializer("w2", new[] { 8, 8, 3, 3 }, W(8 * 72, 2));
        b.Node("Conv", new[] { "x", "w1" }, new[] { "c1" }, A.Ints("pads", 1, 1, 1, 1)).Node("Relu", "c1", "r1");
        b.Node("Conv", new[] { "r1", "w2" }, new[] { "c2" }, A.Ints("pads", 1, 1, 1, 1)).Node("Relu", "c2", "r2");
        b.Node("MaxPool", "r2", "p", A.Ints("kernel_shape", 2, 2), A.Ints("strides", 2, 2)).Node("Flatten", "p", "f").Output("f");
        var runner = ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 1, 3, 16, 16 }) });
        // Two live 8x16x16 tensors at most, plus the second Conv's im2col scratch while it runs: its 72 rows
        // (8 channels x 3x3) for a 64-pixel block (ConvOp's floor while that stays under 256 KB).
        Assert.Equal(2 * 8 * 16 * 16 * 4 + 72 * 64 * 4, runner.ArenaBytes);
    }
}
