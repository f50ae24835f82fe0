using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss against ONNX Runtime (rtol 1e-4, atol 1e-5).</summary>
public class LossOpTests
{
    public static IEnumerable<object[]> Variants()
    {
        foreach (var reduction in new[] { "none", "sum", "mean" })
            foreach (bool weight in new[] { false, true })
                foreach (bool ignore in new[] { false, true })
                    yield return new object[] { reduction, weight, ignore };
    }

    /// <summary>[N, C, d1, d2] with int64 targets, every reduction, with and without weights and ignore_index.</summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void NegativeLogLikelihood(string reduction, bool weight, bool ignore)
    {
        var (model, inputs) = Build("NegativeLogLikelihoodLoss", reduction, weight, ignore, logProb: false);
        TypedInputs.AgainstOrt(model, inputs);
    }

    /// <summary>The same variants, with the log_prob output too.</summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void SoftmaxCrossEntropy(string reduction, bool weight, bool ignore)
    {
        var (model, inputs) = Build("SoftmaxCrossEntropyLoss", reduction, weight, ignore, logProb: true);
        TypedInputs.AgainstOrt(model, inputs);
        (model, inputs) = Build("SoftmaxCrossEntropyLoss", reduction, weight, ignore, logProb: false);
        TypedInputs.AgainstOrt(model, inputs);
    }

    /// <summary>Int32 targets on a 2-D input [N, C].</summary>
    [Fact]
    public void Int32TargetsOnTwoDimensionalInput()
    {
        var b = new OnnxBuilder(13).Input("x", 6, 5).Typed("t", 6, 6)
            .Node("SoftmaxCrossEntropyLoss", new[] { "x", "t" }, new[] { "loss" }, A.Str("reduction", "sum")).Output("loss");
        TypedInputs.AgainstOrt(b.Build(), new[] { ("x", (Array)OrtReference.RandomFloats(30, 3, 3f), new[] { 6, 5 }), ("t", TypedInputs.Ints(6, 4, 0, 4), new[] { 6 }) });
    }

    private static (byte[] Model, (string, Array, int[])[] Inputs) Build(string op, string reduction, bool weight, bool ignore, bool logProb)
    {
        int[] xShape = { 3, 4, 2, 5 }, tShape = { 3, 2, 5 };
        var b = new OnnxBuilder(13).Input("x", xShape).Typed("t", 7, tShape);
        var attrs = new List<AttributeProto> { A.Str("reduction", reduction) };
        if (ignore) attrs.Add(A.Int("ignore_index", 2));
        var inputs = new List<string> { "x", "t" };
        if (weight)
        {
            b.Initializer("w", new[] { 4 }, new[] { 0.5f, 1.5f, 0.25f, 2f });
            inputs.Add("w");
        }
        var outputs = logProb ? new[] { "loss", "log_prob" } : new[] { "loss" };
        b.Node(op, inputs.ToArray(), outputs, attrs.ToArray()).Output("loss");
        if (logProb) b.Output("log_prob");
        var x = OrtReference.RandomFloats(xShape.Aggregate(1, (p, d) => p * d), 11, 3f);
        var t = TypedInputs.Longs(30, 12, 0, 3);
        return (b.Build(), new (string, Array, int[])[] { ("x", x, xShape), ("t", t, tShape) });
    }
}
