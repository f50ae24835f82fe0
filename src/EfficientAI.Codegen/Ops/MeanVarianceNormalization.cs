using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// MeanVarianceNormalization over axes (default [0, 2, 3]): (X - E[X]) / (sqrt(E[X^2] - E[X]^2) + 1e-9), ONNX's
/// function body. It is replaced by those nodes (ReduceMean, Mul, Sub, Sqrt, Add, Div), which compile as usual.
/// </summary>
internal sealed class MeanVarianceNormalizationOp : Operator
{
    public override string OpType => "MeanVarianceNormalization";

    public override IReadOnlyList<Node>? Expand(OpContext ctx)
    {
        ctx.RequireFloat(0);
        var node = ctx.Node;
        var axes = ctx.Ints("axes") ?? new long[] { 0, 2, 3 };
        string prefix = node.Outputs[0] + "/mvn/";
        var epsilon = ctx.Graph.Value(prefix + "epsilon");
        (epsilon.Constant, epsilon.Type, epsilon.Shape) = (Tensor.FromFloats(new int[0], new[] { 1e-9f }), DataType.Float, new int[0]);

        var nodes = new List<Node>();
        string Add(string op, string output, params string[] inputs)
        {
            // ReduceMean takes its axes as an attribute up to opset 17; the expansion pins opset 13.
            var n = new Node(op, "", prefix + op + nodes.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), 13) { Guards = node.Guards.ToList() };
            n.Inputs.AddRange(inputs);
            n.Outputs.Add(output);
            if (op == "ReduceMean")
            {
                var a = new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints };
                a.Ints.AddRange(axes);
                n.Attributes["axes"] = a;
            }
            nodes.Add(n);
            return output;
        }
        string x = node.Inputs[0];
        var mean = Add("ReduceMean", prefix + "mean", x);
        var meanOfSquares = Add("ReduceMean", prefix + "mean_of_squares", Add("Mul", prefix + "squares", x, x));
        var variance = Add("Sub", prefix + "variance", meanOfSquares, Add("Mul", prefix + "squared_mean", mean, mean));
        var denominator = Add("Add", prefix + "denominator", Add("Sqrt", prefix + "std", variance), epsilon.Name);
        Add("Div", node.Outputs[0], Add("Sub", prefix + "centered", x, mean), denominator);
        return nodes;
    }

    public override void Infer(OpContext ctx) => throw ctx.Fail("MeanVarianceNormalization is always expanded");

    public override void Emit(EmitContext ctx) => throw ctx.Fail("MeanVarianceNormalization is always expanded");
}
