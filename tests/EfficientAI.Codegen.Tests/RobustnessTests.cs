using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Cancellation of a large compile, and NaN/Inf propagating as ONNX Runtime propagates them.</summary>
public class RobustnessTests
{
    [Fact]
    public void CancellationStopsALargeCompilePromptly()
    {
        var b = new OnnxBuilder(13).Input("x", 1, 64);
        string last = "x";
        for (int i = 0; i < 40000; i++) { b.Node(i % 2 == 0 ? "Sigmoid" : "Tanh", last, "v" + i); last = "v" + i; }
        var bytes = b.Output(last).Build();
        var request = new ModelRequest(new ModelFile("big.onnx", new EquatableArray<byte>(bytes), null), ModelOptions.Default("big.onnx"));
        // Parsing, inferring and emitting 40,000 nodes takes far longer than 30 ms; cancel it 30 ms in. A dedicated
        // thread cancels: CancelAfter's thread-pool timer fired only after the compile had finished when parallel
        // tests saturated the pool.
        using var cts = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        var canceller = new Thread(() => { Thread.Sleep(30); cts.Cancel(); }) { IsBackground = true };
        canceller.Start();
        Assert.ThrowsAny<OperationCanceledException>(() => ModelCompiler.CompileDetailed(request, cts.Token));
        canceller.Join();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"cancellation took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("Add")] [InlineData("Mul")] [InlineData("Sub")] [InlineData("Div")]
    public void NaNAndInfinityPropagateThroughBinaryOps(string op)
    {
        var b = new OnnxBuilder(13).Input("a", 2, 4).Input("b", 2, 4).Node(op, new[] { "a", "b" }, new[] { "y" }).Output("y");
        Check(b.Build(), ("a", new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1f, 0f, -2f, float.PositiveInfinity, 3f }),
            ("b", new[] { 1f, 2f, float.PositiveInfinity, float.NaN, float.NegativeInfinity, 0.5f, float.PositiveInfinity, 0f }));
    }

    [Theory]
    [InlineData("Sigmoid")] [InlineData("Tanh")] [InlineData("Exp")] [InlineData("Abs")] [InlineData("Neg")]
    public void NaNAndInfinityPropagateThroughUnaryOps(string op)
    {
        var b = new OnnxBuilder(13).Input("a", 2, 4).Node(op, "a", "y").Output("y");
        Check(b.Build(), ("a", new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1f, -0.5f, -2f, 100f, -100f }));
    }

    [Fact]
    public void NaNAndInfinityThroughGemm()
    {
        var b = new OnnxBuilder(13).Input("a", 2, 3);
        b.Initializer("w", new[] { 3, 2 }, new[] { 1f, 2f, 3f, 4f, 5f, 6f });
        b.Node("Gemm", new[] { "a", "w" }, new[] { "y" }).Output("y");
        Check(b.Build(), ("a", new[] { float.NaN, 1f, 2f, float.PositiveInfinity, 1f, 1f }));
    }

    private static void Check(byte[] model, params (string Name, float[] Data)[] inputs)
    {
        var shaped = inputs.Select(i => (i.Name, (Array)i.Data, new[] { 2, i.Data.Length / 2 })).ToList();
        var expected = OrtReference.Run(model, shaped);
        var actual = GeneratorHarness.Compile(model).Run(inputs.Select(i => (Array)i.Data).ToArray());
        OrtReference.AssertClose(expected[0], actual[0], 1e-6, 1e-7, "y");
    }
}
