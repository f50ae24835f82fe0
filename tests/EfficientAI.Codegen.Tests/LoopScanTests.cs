using System.Linq;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// Loop and Scan unrolled at compile time, against ONNX Runtime on random inputs: constant trip counts, conditions the
/// body computes from the iteration number, loop-carried tensors and sequences, outer-scope reads, scan outputs, Scan
/// directions and axes. Tolerance rtol 1e-5 / atol 1e-6 (a few float operations per step: measured bit-exact or ~1e-7).
/// </summary>
public class LoopScanTests
{
    private static ValueInfoProto Info(string name, int elemType, params int[] dims) => OnnxBuilder.ValueInfo(name, elemType, dims.Cast<object>().ToArray());

    private static NodeProto NodeOf(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = op + "_" + string.Join("_", outputs) };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    private static AttributeProto Graph(string name, GraphProto g) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = g };

    /// <summary>y = 0.9 y + x + iter (x read from the outer scope), scan output y; the condition stays true or becomes iter &lt; 2.</summary>
    private static byte[] LoopModel(long tripCount, bool conditionFromBody)
    {
        var body = new GraphProto { Name = "body" };
        body.Input.Add(Info("iter", 7));
        body.Input.Add(Info("cond_in", 9));
        body.Input.Add(Info("y_in", 1, 2, 3));
        body.Initializer.Add(OnnxBuilder.FloatTensor("decay", new int[0], new[] { 0.9f }));
        body.Node.Add(NodeOf("Cast", new[] { "iter" }, new[] { "iter_f" }, A.Int("to", 1)));
        body.Node.Add(NodeOf("Mul", new[] { "y_in", "decay" }, new[] { "scaled" }));
        body.Node.Add(NodeOf("Add", new[] { "scaled", "x" }, new[] { "sum" }));
        body.Node.Add(NodeOf("Add", new[] { "sum", "iter_f" }, new[] { "y_out" }));
        body.Node.Add(NodeOf("Identity", new[] { "y_out" }, new[] { "scan_out" }));
        if (conditionFromBody)
        {
            var two = new TensorProto { Name = "two", DataType = 7 };
            two.Int64Data.Add(2);
            body.Initializer.Add(two);
            body.Node.Add(NodeOf("Less", new[] { "iter", "two" }, new[] { "cond_out" }));
        }
        else body.Node.Add(NodeOf("Identity", new[] { "cond_in" }, new[] { "cond_out" }));
        body.Output.Add(Info("cond_out", 9));
        body.Output.Add(Info("y_out", 1, 2, 3));
        body.Output.Add(Info("scan_out", 1, 2, 3));

        var b = new OnnxBuilder(13).Input("x", 2, 3).Input("y0", 2, 3);
        var trip = b.Initializer("trip", new int[0], new[] { tripCount });
        var cond = new TensorProto { Name = "cond", DataType = 9 };
        cond.Int32Data.Add(1);
        b.Graph.Initializer.Add(cond);
        b.Node("Loop", new[] { trip, "cond", "y0" }, new[] { "y", "scans" }, Graph("body", body)).Output("y").Output("scans");
        return b.Build();
    }

    [Theory]
    [InlineData(4, false)]
    [InlineData(1, false)]
    [InlineData(10, true)]
    public void LoopWithConstantTripCount(long tripCount, bool conditionFromBody) =>
        ModelCheck.AgainstOrt(LoopModel(tripCount, conditionFromBody), new[] { ("x", new[] { 2, 3 }), ("y0", new[] { 2, 3 }) }, rtol: 1e-5, atol: 1e-6);

    [Fact]
    public void LoopCarryingASequence()
    {
        var body = new GraphProto { Name = "body" };
        body.Input.Add(Info("iter", 7));
        body.Input.Add(Info("cond_in", 9));
        body.Input.Add(new ValueInfoProto { Name = "seq_in", Type = new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } } } });
        body.Node.Add(NodeOf("Cast", new[] { "iter" }, new[] { "iter_f" }, A.Int("to", 1)));
        body.Node.Add(NodeOf("Mul", new[] { "x", "iter_f" }, new[] { "scaled" }));
        body.Node.Add(NodeOf("SequenceInsert", new[] { "seq_in", "scaled" }, new[] { "seq_out" }));
        body.Node.Add(NodeOf("Identity", new[] { "cond_in" }, new[] { "cond_out" }));
        body.Output.Add(Info("cond_out", 9));
        body.Output.Add(new ValueInfoProto { Name = "seq_out", Type = body.Input[2].Type });

        var b = new OnnxBuilder(13).Input("x", new[] { 3 });
        var trip = b.Initializer("trip", new int[0], new[] { 3L });
        b.Node("SequenceEmpty", new string[0], new[] { "empty" }, A.Int("dtype", 1));
        b.Node("Loop", new[] { trip, "", "empty" }, new[] { "seq" }, Graph("body", body));
        b.Node("ConcatFromSequence", new[] { "seq" }, new[] { "y" }, A.Int("axis", 0), A.Int("new_axis", 1)).Output("y");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("x", new[] { 3 }) }, rtol: 1e-5, atol: 1e-6);
    }

    /// <summary>A running sum (state) and a running product's scan output over the rows of two inputs.</summary>
    [Theory]
    [InlineData(new long[] { 0, 0 }, new long[] { 0, 1 }, new long[] { 0 }, new long[] { 0 })]
    [InlineData(new long[] { 0, 1 }, new long[] { 0, 0 }, new long[] { 1 }, new long[] { 1 })]
    public void Scan(long[] inputAxes, long[] inputDirections, long[] outputAxes, long[] outputDirections)
    {
        var body = new GraphProto { Name = "body" };
        body.Input.Add(Info("sum_in", 1, 3));
        body.Input.Add(Info("a", 1, 3));
        body.Input.Add(Info("c", 1, 3));
        body.Node.Add(NodeOf("Add", new[] { "sum_in", "a" }, new[] { "sum_out" }));
        body.Node.Add(NodeOf("Mul", new[] { "sum_out", "c" }, new[] { "product" }));
        body.Output.Add(Info("sum_out", 1, 3));
        body.Output.Add(Info("product", 1, 3));

        var b = new OnnxBuilder(11).Input("s0", new[] { 3 }).Input("a", 4, 3).Input("c", inputAxes[1] == 0 ? new[] { 4, 3 } : new[] { 3, 4 });
        b.Node("Scan", new[] { "s0", "a", "c" }, new[] { "s", "products" }, Graph("body", body), A.Int("num_scan_inputs", 2),
            A.Ints("scan_input_axes", inputAxes), A.Ints("scan_input_directions", inputDirections),
            A.Ints("scan_output_axes", outputAxes), A.Ints("scan_output_directions", outputDirections)).Output("s").Output("products");
        ModelCheck.AgainstOrt(b.Build(), new[] { ("s0", new[] { 3 }), ("a", new[] { 4, 3 }), ("c", inputAxes[1] == 0 ? new[] { 4, 3 } : new[] { 3, 4 }) }, rtol: 1e-5, atol: 1e-6);
    }

    [Fact]
    public void ARunTimeConditionIsRefused()
    {
        var model = ModelProto.Parser.ParseFrom(LoopModel(3, false));
        model.Graph.Initializer.Remove(model.Graph.Initializer.Single(i => i.Name == "cond"));
        model.Graph.Input.Add(Info("cond", 9));
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(Google.Protobuf.MessageExtensions.ToByteArray(model), "loop_cond.onnx"));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("EAI0204", d.Id);
        Assert.Contains("the loop condition", d.GetMessage());
    }
}
