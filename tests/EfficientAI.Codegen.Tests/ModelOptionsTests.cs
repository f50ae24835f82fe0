using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Option values as MSBuild delivers them: entries separated by '|' (analyzer config ends values at ';') or ';' (CLI).</summary>
public class ModelOptionsTests
{
    [Theory]
    [InlineData("batch=1|sequence=512")]
    [InlineData("batch=1;sequence=512")]
    [InlineData(" batch = 1 | sequence = 512 ")]
    public void DimsEntriesSplitOnBarOrSemicolon(string dims)
    {
        var parsed = (ModelOptions.Default("m.onnx") with { Dims = dims }).ParseDims();
        Assert.Equal(2, parsed.Count);
        Assert.Equal(1, parsed["batch"]);
        Assert.Equal(512, parsed["sequence"]);
    }

    [Fact]
    public void ShapesAndConstantInputsSplitOnBar()
    {
        var options = ModelOptions.Default("m.onnx") with { Shapes = "input=1x512|state=2x1x128", ConstantInputs = "sr=16000|mode=1,2,3" };
        Assert.Equal(new[] { 2, 1, 128 }, options.ParseShapes()["state"]);
        Assert.Equal(new[] { 1.0, 2.0, 3.0 }, options.ParseConstantInputs()["mode"]);
        Assert.Equal(new[] { 16000.0 }, options.ParseConstantInputs()["sr"]);
    }

    [Fact]
    public void DisabledPassesSplitOnCommaBarOrSemicolon() =>
        Assert.Equal(3, (ModelOptions.Default("m.onnx") with { DisabledPasses = "ScaleFolding,ActivationFusion|CommonSubexpressionElimination" }).ParseDisabledPasses().Count);
}
