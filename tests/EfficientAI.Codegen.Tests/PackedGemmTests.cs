using System;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>MatMul and Gemm with constant weights, which compile to the packed kernel (weights in panels at compile time).</summary>
public class PackedGemmTests
{
    private static float[] W(int n, int seed) => OrtReference.RandomFloats(n, seed, 0.5f);

    private static string Source(byte[] model) =>
        string.Join("\n", GeneratorHarness.Generate(GeneratorHarness.WriteModel(model)).Output.SyntaxTrees.Select(t => t.ToString()));

    [Theory]
    [InlineData(new[] { 4, 6 }, new[] { 6, 16 })]
    [InlineData(new[] { 2, 4, 6 }, new[] { 6, 32 })]     // batches of A share the weights: one GEMM over all rows
    [InlineData(new[] { 6 }, new[] { 6, 48 })]           // 1-D A
    [InlineData(new[] { 3, 5, 40 }, new[] { 40, 70 })]   // partial last panel, more than one tile of rows
    [InlineData(new[] { 1, 300 }, new[] { 300, 40 })]    // two depth blocks
    public void MatMulWithConstantWeights(int[] a, int[] bShape)
    {
        var b = new OnnxBuilder().Input("a", a);
        b.Initializer("w", bShape, W(bShape.Aggregate(1, (p, q) => p * q), 5));
        b.Node("MatMul", new[] { "a", "w" }, new[] { "y" }).Output("y");
        var model = b.Build();
        Assert.Contains("ComputePacked", Source(model));
        ModelCheck.AgainstOrt(model, new[] { ("a", a) });
    }

    [Fact]
    public void NarrowWeightsKeepThePlainLayout()
    {
        // 10 columns would be padded to 16: 60% more ROM for a layer that is cheap either way.
        var b = new OnnxBuilder().Input("a", 1, 64);
        b.Initializer("w", new[] { 64, 10 }, W(640, 6));
        b.Node("MatMul", new[] { "a", "w" }, new[] { "y" }).Output("y");
        var model = b.Build();
        Assert.DoesNotContain("ComputePacked", Source(model));
        ModelCheck.AgainstOrt(model, new[] { ("a", new[] { 1, 64 }) });
    }

    [Theory]
    [InlineData(0, 1f, 1f, 0)]
    [InlineData(1, 0.5f, 2f, 1)]  // transB, alpha folded into the packed weights, beta into the bias
    [InlineData(0, 1f, -1f, 4)]   // scalar C broadcast to a row
    public void GemmWithConstantWeightsAndBias(int transB, float alpha, float beta, int cKind)
    {
        int m = 9, n = 40, k = 270;
        var b = new OnnxBuilder().Input("a", m, k);
        b.Initializer("b", transB == 1 ? new[] { n, k } : new[] { k, n }, W(n * k, 3));
        var inputs = new[] { "a", "b" }.ToList();
        if (cKind > 0)
        {
            var shape = cKind == 1 ? new[] { n } : Array.Empty<int>();
            inputs.Add(b.Initializer("c", shape, W(Math.Max(1, shape.Aggregate(1, (p, q) => p * q)), 4)));
        }
        b.Node("Gemm", inputs.ToArray(), new[] { "y" }, A.Int("transB", transB), A.Float("alpha", alpha), A.Float("beta", beta)).Output("y");
        var model = b.Build();
        Assert.Contains("ComputePacked", Source(model));
        ModelCheck.AgainstOrt(model, new[] { ("a", new[] { m, k }) });
    }
}
