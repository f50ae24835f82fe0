using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// Einsum against ONNX Runtime on random inputs: batched and plain matrix products (each transposed form), outer and
/// inner products, transposes, sums, diagonals, implicit outputs, ellipsis with broadcasting. Tolerance rtol 1e-4 /
/// atol 1e-5 (sums of at most 20 products: measured max abs error ~5e-7).
/// </summary>
public class EinsumTests
{
    private static void Check(string equation, params int[][] shapes)
    {
        var b = new OnnxBuilder(12);
        var names = shapes.Select((_, i) => "x" + i).ToArray();
        for (int i = 0; i < shapes.Length; i++) b.Input(names[i], shapes[i]);
        b.Node("Einsum", names, new[] { "y" }, A.Str("equation", equation)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), names.Select((n, i) => (n, shapes[i])).ToArray());
    }

    [Theory]
    [InlineData("bij,bjk->bik")]
    [InlineData("bji,bjk->bik")]
    [InlineData("bij,bkj->bik")]
    [InlineData("bji,bkj->bik")]
    public void BatchedMatrixProducts(string equation)
    {
        var a = equation.StartsWith("bij") ? new[] { 2, 3, 4 } : new[] { 2, 4, 3 };
        var c = equation.Contains(",bjk") ? new[] { 2, 4, 5 } : new[] { 2, 5, 4 };
        Check(equation, a, c);
    }

    [Theory]
    [InlineData("ij,jk", new[] { 3, 4 }, new[] { 4, 5 })]
    [InlineData("ij,kj->ik", new[] { 3, 4 }, new[] { 5, 4 })]
    [InlineData("i,i", new[] { 7 }, new[] { 7 })]
    [InlineData("i,j->ij", new[] { 3 }, new[] { 4 })]
    [InlineData("ij,ij->ij", new[] { 3, 4 }, new[] { 3, 4 })]
    [InlineData("ij,jk->ki", new[] { 3, 4 }, new[] { 4, 5 })]
    [InlineData("bij,jk->bik", new[] { 2, 3, 4 }, new[] { 4, 5 })]
    [InlineData("ij,j->", new[] { 3, 4 }, new[] { 4 })]
    [InlineData("...ij,...jk->...ik", new[] { 2, 1, 3, 4 }, new[] { 1, 3, 4, 5 })]
    [InlineData("bhqd,bhkd->bhqk", new[] { 1, 2, 3, 4 }, new[] { 1, 2, 5, 4 })]
    public void TwoOperands(string equation, int[] a, int[] b) => Check(equation, a, b);

    [Theory]
    [InlineData("ij->ji", new[] { 3, 4 })]
    [InlineData("ij->i", new[] { 3, 4 })]
    [InlineData("ij->", new[] { 3, 4 })]
    [InlineData("ii->i", new[] { 4, 4 })]
    [InlineData("ii", new[] { 4, 4 })]
    [InlineData("...ii->...i", new[] { 2, 3, 3 })]
    [InlineData("ba", new[] { 3, 4 })]
    [InlineData("abc->cab", new[] { 2, 3, 4 })]
    public void OneOperand(string equation, int[] a) => Check(equation, a);

    [Fact]
    public void ThreeOperandsAreRefused()
    {
        var b = new OnnxBuilder(12).Input("a", 2, 3).Input("b", 3, 4).Input("c", 4, 5);
        b.Node("Einsum", new[] { "a", "b", "c" }, new[] { "y" }, A.Str("equation", "ij,jk,kl->il")).Output("y");
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(b.Build(), "einsum3.onnx"));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0101", d.Id);
    }

    [Fact]
    public void MismatchedIndexSizesAreAnInvalidNode()
    {
        var b = new OnnxBuilder(12).Input("a", 2, 3).Input("b", 4, 5);
        b.Node("Einsum", new[] { "a", "b" }, new[] { "y" }, A.Str("equation", "ij,jk->ik")).Output("y");
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(b.Build(), "einsum_bad.onnx"));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0203", d.Id);
        Assert.Contains("index 'j' has sizes 3 and 4", d.GetMessage());
    }
}
