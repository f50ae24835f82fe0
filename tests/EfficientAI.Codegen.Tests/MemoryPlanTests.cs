using System.Threading;
using EfficientAI.Codegen.Model;
using Xunit;
using Xunit.Abstractions;

namespace EfficientAI.Codegen.Tests;

/// <summary>The static memory plan of the development models against its lower bound (docs/memory.md records the figures).</summary>
public class MemoryPlanTests
{
    private readonly ITestOutputHelper _output;

    public MemoryPlanTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("hello_deepa.onnx", "", "")]
    [InlineData("ResNetPreprocess.onnx", "", "")]
    [InlineData("face_detection_front_128x128_barracuda.onnx", "", "")]
    [InlineData("ch_ppocr_mobile_v2.0_cls_infer.onnx", "", "x=1x3x48x192")]
    [InlineData("silero_vad_op18_ifless.onnx", "batch=1;sequence=512", "")]
    [InlineData("silero_vad_legacy.onnx", "batch=1;sequence=512", "")]
    [InlineData("mlsd_320x320_tiny.onnx", "", "")]
    public void ArenaWithinFivePercentOfTheLowerBound(string name, string dims, string shapes)
    {
        var bytes = DevModels.Load(name, _output);
        if (bytes is null) return;
        var options = ModelOptions.Default(name) with { Dims = dims, Shapes = shapes };
        var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile(name, new EquatableArray<byte>(bytes), null), options), CancellationToken.None);
        var f = Assert.IsType<Emit.ModelFigures>(result.Figures);
        _output.WriteLine($"{name}: arena {f.ArenaBytes} B, lower bound {f.ArenaLowerBound} B, no reuse {f.ArenaNoReuse} B, weights {f.WeightBytes} B, MACs {f.Macs}");
        Assert.True(f.ArenaBytes <= 1.05 * f.ArenaLowerBound, $"arena {f.ArenaBytes} B is more than 1.05x the lower bound {f.ArenaLowerBound} B");
        Assert.True(f.ArenaBytes <= f.ArenaNoReuse);
    }
}
