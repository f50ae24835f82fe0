using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Google.Protobuf;
using Microsoft.CodeAnalysis;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// LSTM, GRU and RNN against ONNX Runtime on random inputs, weights and states: every direction, optional inputs
/// and outputs, sequence_lens, peepholes, clip, activations with alpha/beta, GRU linear_before_reset. Tolerance
/// rtol 1e-4 / atol 1e-5 (the default; sigmoid/tanh implementations differ in the last bits and the error grows
/// slightly with the steps: measured max abs error ~1e-6 on these sizes).
/// </summary>
public class RecurrentOpTests
{
    private const int Steps = 5, Batch = 3, InputSize = 4, Hidden = 6;

    private static int Gates(string op) => op switch { "LSTM" => 4, "GRU" => 3, _ => 1 };

    /// <summary>A recurrent node with W, R, B (and P) as initializers; X, initial states as graph inputs.</summary>
    private static (byte[] Model, (string, int[])[] Inputs) Build(string op, string direction, bool bias = true, bool lengths = false,
        bool initial = false, bool peepholes = false, string[]? outputs = null, int layout = 0, int opset = 14, params AttributeProto[] extra)
    {
        int dirs = direction == "bidirectional" ? 2 : 1, g = Gates(op);
        var xShape = layout == 0 ? new[] { Steps, Batch, InputSize } : new[] { Batch, Steps, InputSize };
        var stateShape = layout == 0 ? new[] { dirs, Batch, Hidden } : new[] { Batch, dirs, Hidden };
        var b = new OnnxBuilder(opset).Input("x", xShape);
        var inputs = new List<(string, int[])> { ("x", xShape) };
        b.Initializer("w", new[] { dirs, g * Hidden, InputSize }, OrtReference.RandomFloats(dirs * g * Hidden * InputSize, 11, 0.6f));
        b.Initializer("r", new[] { dirs, g * Hidden, Hidden }, OrtReference.RandomFloats(dirs * g * Hidden * Hidden, 12, 0.6f));
        var names = new List<string> { "x", "w", "r", bias ? b.Initializer("b", new[] { dirs, 2 * g * Hidden }, OrtReference.RandomFloats(dirs * 2 * g * Hidden, 13, 0.5f)) : "" };
        if (lengths)
        {
            var t = new TensorProto { Name = "lens", DataType = 6 };
            t.Dims.Add(Batch);
            t.Int32Data.AddRange(new[] { Steps, 2, 4 });
            b.Graph.Initializer.Add(t);
        }
        names.Add(lengths ? "lens" : "");
        if (initial)
        {
            b.Input("h0", stateShape);
            inputs.Add(("h0", stateShape));
            names.Add("h0");
            if (op == "LSTM")
            {
                b.Input("c0", stateShape);
                inputs.Add(("c0", stateShape));
                names.Add("c0");
            }
        }
        else names.Add("");
        if (op == "LSTM" && peepholes)
        {
            while (names.Count < 7) names.Add("");
            names.Add(b.Initializer("p", new[] { dirs, 3 * Hidden }, OrtReference.RandomFloats(dirs * 3 * Hidden, 14, 0.5f)));
        }
        while (names.Count > 3 && names[^1] == "") names.RemoveAt(names.Count - 1);
        outputs ??= op == "LSTM" ? new[] { "y", "yh", "yc" } : new[] { "y", "yh" };
        var attrs = new List<AttributeProto> { A.Str("direction", direction), A.Int("hidden_size", Hidden) };
        if (layout != 0) attrs.Add(A.Int("layout", layout));
        attrs.AddRange(extra);
        b.Node(op, names.ToArray(), outputs, attrs.ToArray());
        foreach (var o in outputs.Where(o => o.Length > 0)) b.Output(o);
        return (b.Build(), inputs.ToArray());
    }

    private static void Check(string op, string direction, bool bias = true, bool lengths = false, bool initial = false, bool peepholes = false,
        string[]? outputs = null, int layout = 0, int opset = 14, params AttributeProto[] extra)
    {
        var (model, inputs) = Build(op, direction, bias, lengths, initial, peepholes, outputs, layout, opset, extra);
        ModelCheck.AgainstOrt(model, inputs, scale: 1.5f);
    }

    [Theory]
    [InlineData("LSTM", "forward")]
    [InlineData("LSTM", "reverse")]
    [InlineData("LSTM", "bidirectional")]
    [InlineData("GRU", "forward")]
    [InlineData("GRU", "reverse")]
    [InlineData("GRU", "bidirectional")]
    [InlineData("RNN", "forward")]
    [InlineData("RNN", "reverse")]
    [InlineData("RNN", "bidirectional")]
    public void Directions(string op, string direction) => Check(op, direction, initial: true);

    [Theory]
    [InlineData("LSTM", "forward")]
    [InlineData("LSTM", "bidirectional")]
    [InlineData("GRU", "reverse")]
    [InlineData("GRU", "bidirectional")]
    [InlineData("RNN", "bidirectional")]
    public void SequenceLengthsPadWithZerosAndFreezeTheState(string op, string direction) => Check(op, direction, lengths: true, initial: true);

    [Theory]
    [InlineData("LSTM")]
    [InlineData("GRU")]
    [InlineData("RNN")]
    public void NoBiasNoInitialState(string op) => Check(op, "forward", bias: false);

    [Fact]
    public void LstmPeepholes() => Check("LSTM", "bidirectional", initial: true, peepholes: true);

    [Fact]
    public void LstmInputForgetAndClip() => Check("LSTM", "forward", initial: true, peepholes: true, extra: new[] { A.Int("input_forget", 1), A.Float("clip", 0.7f) });

    [Theory]
    [InlineData("GRU", "forward")]
    [InlineData("GRU", "bidirectional")]
    public void GruLinearBeforeReset(string op, string direction) =>
        Check(op, direction, initial: true, lengths: true, extra: new[] { A.Int("linear_before_reset", 1) });

    [Fact]
    public void GruClip() => Check("GRU", "reverse", initial: true, extra: A.Float("clip", 0.5f));

    [Theory]
    [InlineData("LSTM", new[] { "y", "", "yc" })]
    [InlineData("LSTM", new[] { "", "yh" })]
    [InlineData("GRU", new[] { "", "yh" })]
    [InlineData("RNN", new[] { "y" })]
    public void OptionalOutputs(string op, string[] outputs) => Check(op, "bidirectional", initial: true, outputs: outputs);

    /// <summary>Activations with alpha/beta, consumed in order by the functions that take them.</summary>
    [Fact]
    public void LstmActivationsWithAlphaAndBeta() =>
        Check("LSTM", "bidirectional", initial: true, extra: new[]
        {
            A.Strs("activations", "HardSigmoid", "LeakyRelu", "ScaledTanh", "Sigmoid", "Elu", "Softsign"),
            A.Floats("activation_alpha", 0.3f, 0.05f, 0.9f, 0.7f), A.Floats("activation_beta", 0.45f, 1.2f),
        });

    [Fact]
    public void RnnActivations() =>
        Check("RNN", "bidirectional", initial: true, extra: new[] { A.Strs("activations", "Relu", "Affine"), A.Floats("activation_alpha", 0.5f), A.Floats("activation_beta", 0.25f) });

    [Fact]
    public void GruActivations() =>
        Check("GRU", "forward", initial: true, extra: new[] { A.Strs("activations", "Sigmoid", "Softplus") });

    [Fact]
    public void OpsetSevenForms()
    {
        Check("LSTM", "forward", initial: true, opset: 7);
        Check("GRU", "forward", initial: true, opset: 7);
    }

    /// <summary>
    /// layout=1 (batch-major X, Y and states), which ONNX Runtime's CPU kernels do not run: the reference is ONNX
    /// Runtime on the layout-0 node between Transposes, on the same random inputs.
    /// </summary>
    [Theory]
    [InlineData("LSTM", "bidirectional")]
    [InlineData("GRU", "reverse")]
    [InlineData("RNN", "bidirectional")]
    public void BatchMajorLayoutMatchesTransposedLayoutZero(string op, string direction)
    {
        var (model, inputs) = Build(op, direction, initial: true, lengths: true, layout: 1);
        var (reference, _) = Build(op, direction, initial: true, lengths: true, layout: 0);
        var refModel = ModelProto.Parser.ParseFrom(reference);
        var graph = refModel.Graph;
        var node = graph.Node.Single();
        int stateInputs = op == "LSTM" ? 2 : 1;
        // Batch-major graph inputs, transposed into the layout-0 node; its outputs transposed back.
        graph.Input.Clear();
        var nodes = new List<NodeProto>();
        NodeProto Transpose(string from, string to, params long[] perm)
        {
            var t = new NodeProto { OpType = "Transpose", Name = "t_" + to };
            t.Input.Add(from);
            t.Output.Add(to);
            t.Attribute.Add(A.Ints("perm", perm));
            return t;
        }
        foreach (var (name, shape) in inputs)
        {
            graph.Input.Add(OnnxBuilder.ValueInfo(name, 1, shape.Cast<object>().ToArray()));
            nodes.Add(Transpose(name, name + "_t", 1, 0, 2));
            for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == name) node.Input[i] = name + "_t";
        }
        Assert.Equal(1 + stateInputs, inputs.Length);
        var outputs = node.Output.ToArray();
        for (int i = 0; i < outputs.Length; i++)
        {
            node.Output[i] = outputs[i] + "_0";
            nodes.Add(i == 0 ? Transpose(outputs[i] + "_0", outputs[i], 2, 0, 1, 3) : Transpose(outputs[i] + "_0", outputs[i], 1, 0, 2));
        }
        graph.Node.Clear();
        graph.Node.Add(nodes.Where(n => n.Output[0].EndsWith("_t", StringComparison.Ordinal)));
        graph.Node.Add(node);
        graph.Node.Add(nodes.Where(n => !n.Output[0].EndsWith("_t", StringComparison.Ordinal)));

        var runner = GeneratorHarness.Compile(model);
        var data = inputs.Select((x, i) => (x.Item1, (Array)OrtReference.RandomFloats(x.Item2.Aggregate(1, (a, b) => a * b), 1 + i, 1.5f), x.Item2)).ToList();
        var expected = OrtReference.Run(refModel.ToByteArray(), data);
        var actual = runner.Run(data.Select(d => d.Item2).ToArray());
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) OrtReference.AssertClose(expected[i], actual[i], ModelCheck.DefaultRtol, ModelCheck.DefaultAtol, $"output {i}");
    }

    /// <summary>The gate buffers live in the arena's per-node scratch: nothing is allocated per inference.</summary>
    [Theory]
    [InlineData("LSTM")]
    [InlineData("GRU")]
    public void NoAllocationPerInference(string op)
    {
        var (model, inputs) = Build(op, "bidirectional", initial: true, lengths: true, peepholes: true);
        var runner = ModelCheck.AgainstOrt(model, inputs);
        var data = inputs.Select((x, i) => (Array)OrtReference.RandomFloats(x.Item2.Aggregate(1, (a, b) => a * b), 7 + i)).ToArray();
        Assert.Equal(0, runner.Allocations(data, 200));
    }

    [Fact]
    public void UnknownActivationIsRefused()
    {
        var (model, _) = Build("RNN", "forward", extra: A.Strs("activations", "Swishy"));
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(model, "rnn_bad.onnx"));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0101", d.Id);
        Assert.Contains("'Swishy'", d.GetMessage());
    }

    [Fact]
    public void WrongWeightShapeIsAnInvalidNode()
    {
        var b = new OnnxBuilder(14).Input("x", 2, 1, 3).Input("w", 1, 8, 3).Input("r", 1, 8, 3);
        b.Node("LSTM", new[] { "x", "w", "r" }, new[] { "y" }, A.Int("hidden_size", 2)).Output("y");
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(b.Build(), "lstm_bad.onnx"));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0203", d.Id);
        Assert.Contains("R [1,8,3]", d.GetMessage());
    }
}
