using System;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>LayerNormalization, InstanceNormalization, GroupNormalization, LRN and MeanVarianceNormalization against ONNX Runtime.</summary>
public class NormalizationOpTests
{
    [Theory]
    [InlineData(-1, true, new[] { 7 })]
    [InlineData(1, true, new[] { 5, 7 })]
    [InlineData(-1, false, new[] { 7 })]
    [InlineData(2, true, new[] { 1 })]
    public void LayerNormalization(int axis, bool bias, int[] scaleShape)
    {
        var b = new OnnxBuilder(17).Input("x", 3, 5, 7);
        var n = Array.TrueForAll(scaleShape, d => d == 1) ? 1 : Math.Max(1, scaleShape.Length == 1 ? scaleShape[0] : scaleShape[0] * scaleShape[1]);
        b.Initializer("scale", scaleShape, OrtReference.RandomFloats(n, 5));
        b.Initializer("bias", scaleShape, OrtReference.RandomFloats(n, 6));
        b.Node("LayerNormalization", bias ? new[] { "x", "scale", "bias" } : new[] { "x", "scale" }, new[] { "y" }, A.Int("axis", axis), A.Float("epsilon", 1e-3f)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 5, 7 }) }, scale: 3f);
    }

    [Fact]
    public void LayerNormalizationMeanAndInvStdDevOutputs()
    {
        var b = new OnnxBuilder(17).Input("x", 4, 16).Input("scale", new[] { 16 }).Input("bias", new[] { 16 });
        b.Node("LayerNormalization", new[] { "x", "scale", "bias" }, new[] { "y", "mean", "inv" }).Output("y").Output("mean").Output("inv");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 4, 16 }), ("scale", new[] { 16 }), ("bias", new[] { 16 }) });
    }

    [Fact]
    public void InstanceNormalization()
    {
        var b = new OnnxBuilder(13).Input("x", 2, 3, 4, 5);
        b.Initializer("scale", new[] { 3 }, new[] { 0.5f, -1.5f, 2f });
        b.Initializer("bias", new[] { 3 }, new[] { 0.1f, 0.2f, -0.3f });
        b.Node("InstanceNormalization", new[] { "x", "scale", "bias" }, new[] { "y" }, A.Float("epsilon", 1e-4f)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 3, 4, 5 }) }, scale: 2f);
    }

    [Theory]
    [InlineData(18, 2)] [InlineData(18, 6)] [InlineData(21, 3)] [InlineData(21, 1)]
    public void GroupNormalization(int opset, int groups)
    {
        var b = new OnnxBuilder(opset);
        if (opset >= 21) b.Model.IrVersion = 10;
        b.Input("x", 2, 6, 3, 4);
        int n = opset >= 21 ? 6 : groups;
        b.Initializer("scale", new[] { n }, OrtReference.RandomFloats(n, 3));
        b.Initializer("bias", new[] { n }, OrtReference.RandomFloats(n, 4));
        b.Node("GroupNormalization", new[] { "x", "scale", "bias" }, new[] { "y" }, A.Int("num_groups", groups)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 6, 3, 4 }) }, scale: 2f);
    }

    [Fact]
    public void GroupNormalizationGroupsMustDivideChannels()
    {
        var b = new OnnxBuilder(18).Input("x", 1, 6, 2).Input("s", new[] { 4 }).Input("b", new[] { 4 });
        b.Node("GroupNormalization", new[] { "x", "s", "b" }, new[] { "y" }, A.Int("num_groups", 4)).Output("y");
        Assert.Contains("EAI0203", Assert.Throws<InvalidOperationException>(() => GeneratorHarness.Compile(b.Build())).Message);
    }

    /// <summary>Window sizes 1, 3 and 5 (ONNX Runtime takes odd sizes only).</summary>
    [Theory]
    [InlineData(3, 1e-4f, 0.75f, 1f)] [InlineData(1, 0.02f, 0.5f, 2f)] [InlineData(5, 0.1f, 1f, 1.5f)]
    public void LRN(int size, float alpha, float beta, float bias)
    {
        var b = new OnnxBuilder(13).Input("x", 2, 6, 3, 4)
            .Node("LRN", new[] { "x" }, new[] { "y" }, A.Int("size", size), A.Float("alpha", alpha), A.Float("beta", beta), A.Float("bias", bias)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 2, 6, 3, 4 }) }, scale: 3f);
    }

    [Theory]
    [InlineData(null)] [InlineData(new long[] { 1 })] [InlineData(new long[] { 0, 2, 3 })]
    public void MeanVarianceNormalization(long[]? axes)
    {
        var attrs = axes is null ? Array.Empty<Onnx.Proto.AttributeProto>() : new[] { A.Ints("axes", axes) };
        var b = new OnnxBuilder(13).Input("x", 3, 4, 2, 5).Node("MeanVarianceNormalization", new[] { "x" }, new[] { "y" }, attrs).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3, 4, 2, 5 }) });
    }

    /// <summary>
    /// BatchNormalization in training mode (opset 15): batch statistics and the running mean and variance outputs,
    /// against the formulas written out here in double (ONNX Runtime's release build has no training mode); rtol 1e-5.
    /// </summary>
    [Fact]
    public void BatchNormalizationTrainingMode()
    {
        const int n = 3, c = 4, spatial = 10;
        const float eps = 1e-3f, momentum = 0.8f;
        var b = new OnnxBuilder(15).Input("x", n, c, 2, 5).Input("s", new[] { c }).Input("b", new[] { c }).Input("m", new[] { c }).Input("v", new[] { c })
            .Node("BatchNormalization", new[] { "x", "s", "b", "m", "v" }, new[] { "y", "rm", "rv" },
                A.Int("training_mode", 1), A.Float("epsilon", eps), A.Float("momentum", momentum))
            .Output("y").Output("rm").Output("rv");
        var x = OrtReference.RandomFloats(n * c * spatial, 1, 3f);
        float[] scale = OrtReference.RandomFloats(c, 2), bias = OrtReference.RandomFloats(c, 3), mean = OrtReference.RandomFloats(c, 4);
        var variance = OrtReference.RandomFloats(c, 5).Select(v => Math.Abs(v) + 0.1f).ToArray();
        var outputs = GeneratorHarness.Compile(b.Build()).Run(x, scale, bias, mean, variance);

        var expectedY = new double[x.Length];
        double[] expectedMean = new double[c], expectedVar = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            var values = Enumerable.Range(0, n).SelectMany(k => Enumerable.Range(0, spatial).Select(i => (double)x[(k * c + ch) * spatial + i])).ToArray();
            double mu = values.Average(), sigma2 = values.Select(v => (v - mu) * (v - mu)).Average();
            for (int k = 0; k < n; k++)
                for (int i = 0; i < spatial; i++)
                    expectedY[(k * c + ch) * spatial + i] = (x[(k * c + ch) * spatial + i] - mu) / Math.Sqrt(sigma2 + eps) * scale[ch] + bias[ch];
            expectedMean[ch] = mean[ch] * momentum + mu * (1 - momentum);
            expectedVar[ch] = variance[ch] * momentum + sigma2 * (1 - momentum);
        }
        OrtReference.AssertClose(expectedY, outputs[0], 1e-5, 1e-6, "y");
        OrtReference.AssertClose(expectedMean, outputs[1], 1e-5, 1e-6, "running mean");
        OrtReference.AssertClose(expectedVar, outputs[2], 1e-5, 1e-6, "running variance");
    }
}
