using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// MatMul of a matrix by a constant matrix, followed by Add of a constant bias, becomes one Gemm (the bias rides in
/// the GEMM). A left operand of rank above 2 ([..., M, K], rows contiguous) is viewed as one [rows, K] matrix by
/// Reshapes around the Gemm (views: no copy) when the bias varies only along the last axis.
/// </summary>
internal static class MatMulAddToGemm
{
    public static Graph Run(Graph graph)
    {
        var consumers = graph.Consumers();
        var producers = GraphEdit.ProducerMap(graph);
        var removed = new HashSet<Node>();
        var replaced = new Dictionary<Node, List<Node>>();
        foreach (var add in graph.Nodes.Where(n => n.OpType == "Add" && n.Domain.Length == 0).ToList())
        {
            for (int side = 0; side < 2; side++)
            {
                if (!producers.TryGetValue(add.Inputs[side], out var mm) || mm.OpType != "MatMul" || mm.Domain.Length != 0 || removed.Contains(mm) || mm.Activation is not null) continue;
                if (!GraphEdit.HasSingleInternalConsumer(graph, consumers, add.Inputs[side]) || !mm.Guards.SequenceEqual(add.Guards)) continue;
                var a = graph.Values[mm.Inputs[0]];
                var b = graph.Values[mm.Inputs[1]];
                var c = graph.Values[add.Inputs[1 - side]];
                if (a.Type != DataType.Float || a.RequireShape.Length < 2 || b.Constant is null || b.RequireShape.Length != 2 || c.Constant is null) continue;
                if (a.RequireShape.Length == 2)
                {
                    if (!Fits2D(c.RequireShape, a.RequireShape[0], b.RequireShape[1])) continue;
                    replaced[add] = new List<Node> { Gemm(mm, add, mm.Inputs[0], c.Name, add.Outputs[0]) };
                }
                else
                {
                    var outShape = graph.Values[mm.Outputs[0]].RequireShape;
                    var bias = GraphEdit.AlongAxis(c.Constant, outShape, outShape.Length - 1);
                    if (bias is null || !Shape.Equal(graph.Values[add.Outputs[0]].RequireShape, outShape)) continue;
                    replaced[add] = Flattened(graph, mm, add, bias);
                }
                removed.Add(mm);
                break;
            }
        }
        graph.Nodes = graph.Nodes.Where(n => !removed.Contains(n)).SelectMany(n => replaced.TryGetValue(n, out var list) ? list : new List<Node> { n }).ToList();
        return graph;
    }

    private static bool Fits2D(int[] cs, int m, int n) => cs.Length switch
    {
        0 => true,
        1 => cs[0] == n || cs[0] == 1,
        2 => (cs[0] == m || cs[0] == 1) && (cs[1] == n || cs[1] == 1),
        _ => false,
    };

    private static Node Gemm(Node mm, Node add, string a, string c, string output)
    {
        var gemm = new Node("Gemm", "", mm.Name, mm.Opset) { Guards = add.Guards };
        gemm.Inputs.AddRange(new[] { a, mm.Inputs[1], c });
        gemm.Outputs.Add(output);
        gemm.Fused.Add("Add");
        return gemm;
    }

    /// <summary>Reshape [..., M, K] -> [rows, K], Gemm, Reshape [rows, N] -> [..., M, N].</summary>
    private static List<Node> Flattened(Graph graph, Node mm, Node add, float[] bias)
    {
        var aShape = graph.Values[mm.Inputs[0]].RequireShape;
        var outShape = graph.Values[add.Outputs[0]].RequireShape;
        int k = aShape[aShape.Length - 1], n = outShape[outShape.Length - 1];
        int rows = Shape.ElementsInt(aShape) / k;
        int opset = System.Math.Max(mm.Opset, 13);
        Node Reshape(string input, int[] shape, string output)
        {
            var target = GraphEdit.AddConstant(graph, output + "_shape", Tensor.FromLongs(new[] { shape.Length }, shape.Select(d => (long)d).ToArray()));
            var node = new Node("Reshape", "", mm.Name + "_reshape", opset) { Guards = add.Guards };
            node.Inputs.AddRange(new[] { input, target });
            node.Outputs.Add(output);
            return node;
        }
        string Intermediate(string hint, int[] shape)
        {
            var v = graph.Value(GraphEdit.FreshName(graph, hint));
            v.Type = DataType.Float;
            v.Shape = shape;
            return v.Name;
        }
        var flat = Intermediate(mm.Inputs[0] + "_rows", new[] { rows, k });
        var product = Intermediate(add.Outputs[0] + "_rows", new[] { rows, n });
        var c = GraphEdit.AddConstant(graph, add.Outputs[0] + "_bias", Tensor.FromFloats(new[] { n }, bias));
        return new List<Node>
        {
            Reshape(mm.Inputs[0], new[] { rows, k }, flat),
            Gemm(mm, add, flat, c, product),
            Reshape(product, outShape, add.Outputs[0]),
        };
    }
}
