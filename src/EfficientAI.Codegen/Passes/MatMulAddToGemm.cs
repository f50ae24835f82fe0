using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>MatMul of a matrix by a constant matrix, followed by Add of a constant bias, becomes one Gemm (the bias rides in the GEMM).</summary>
internal static class MatMulAddToGemm
{
    public static Graph Run(Graph graph)
    {
        var consumers = graph.Consumers();
        var producers = GraphEdit.ProducerMap(graph);
        var removed = new HashSet<Node>();
        foreach (var add in graph.Nodes.Where(n => n.OpType == "Add" && n.Domain.Length == 0).ToList())
        {
            for (int side = 0; side < 2; side++)
            {
                if (!producers.TryGetValue(add.Inputs[side], out var mm) || mm.OpType != "MatMul" || mm.Domain.Length != 0 || removed.Contains(mm)) continue;
                if (!GraphEdit.HasSingleInternalConsumer(graph, consumers, add.Inputs[side])) continue;
                var a = graph.Values[mm.Inputs[0]];
                var b = graph.Values[mm.Inputs[1]];
                var c = graph.Values[add.Inputs[1 - side]];
                if (a.Type != DataType.Float || a.RequireShape.Length != 2 || b.Constant is null || b.RequireShape.Length != 2 || c.Constant is null) continue;
                int m = a.RequireShape[0], n = b.RequireShape[1];
                var cs = c.RequireShape;
                bool fits = cs.Length switch
                {
                    0 => true,
                    1 => cs[0] == n || cs[0] == 1,
                    2 => (cs[0] == m || cs[0] == 1) && (cs[1] == n || cs[1] == 1),
                    _ => false,
                };
                if (!fits) continue;
                var gemm = new Node("Gemm", "", mm.Name, mm.Opset) { Guards = add.Guards };
                gemm.Inputs.AddRange(new[] { mm.Inputs[0], mm.Inputs[1], c.Name });
                gemm.Outputs.Add(add.Outputs[0]);
                gemm.Fused.Add("Add");
                graph.Nodes[graph.Nodes.IndexOf(add)] = gemm;
                removed.Add(mm);
                break;
            }
        }
        graph.Nodes = graph.Nodes.Where(n => !removed.Contains(n)).ToList();
        return graph;
    }
}
