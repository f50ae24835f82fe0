using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// A pre-quantized (QDQ) layer runs on the int8 kernels instead of dequantizing its weights to float: a Conv, Gemm or
/// MatMul that reads DequantizeLinear(QuantizeLinear(x, s, z), s, z) and DequantizeLinear(constant int8 weights, per tensor
/// or per output channel), with an optional bias (float, or DequantizeLinear of int32), becomes a QuantizedConv /
/// QuantizedMatMul that quantizes x with that static scale and zero point (uint8; int8 activations are the same values
/// offset by 128) and multiplies by the int8 weights. Its output is float, as the layer's was: a QuantizeLinear after it stays.
/// Runs before shape inference, while the weights' DequantizeLinear is still a node (folding would turn it into float
/// weights). A layer that is almost such a pattern stays float with an Info diagnostic (EAI0306) saying what did not match.
/// </summary>
internal static class QdqToInt8
{
    public static Graph Run(Graph graph)
    {
        var producers = GraphEdit.ProducerMap(graph);
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            if (node.Domain.Length != 0 || node.Guards.Count > 0 || node.OpType is not ("Conv" or "Gemm" or "MatMul") || node.Inputs.Count < 2) continue;
            // Only layers whose input or weights come from a DequantizeLinear are QDQ layers at all.
            bool Dq(string v) => producers.TryGetValue(v, out var p) && p is { OpType: "DequantizeLinear", Domain: "" };
            if (!Dq(node.Inputs[0]) && !Dq(node.Inputs[1])) continue;
            var (replacement, miss) = Match(graph, producers, node);
            if (replacement is not null)
            {
                graph.Nodes[i] = replacement;
                graph.Quantization.Add(new LayerQuantization(node.Name, node.OpType, true, "pre-quantized (QDQ): the model's int8 weights and static activation scale" +
                    (replacement.HasInput(3) && graph.Values[replacement.Inputs[3]].Type == DataType.Int32 ? ", int32 bias" : ""),
                    graph.Values[replacement.Inputs[2]].Constant!.Length, graph.Values[replacement.Inputs[2]].Constant!.ToFloats().Min(),
                    graph.Values[replacement.Inputs[2]].Constant!.ToFloats().Max(), double.NaN,
                    replacement.Attributes["x_scale"].F, (int)replacement.Attributes["x_zero_point"].I));
            }
            else
            {
                graph.Notes.Add(("EAI0306", $"{node.Display} reads DequantizeLinear but stays float (weights dequantized at compile time): {miss}"));
                graph.Quantization.Add(new LayerQuantization(node.Name, node.OpType, false, "QDQ pattern not matched: " + miss, 0, 0f, 0f, double.NaN));
            }
        }
        return graph;
    }

    private static Tensor? Const(Graph graph, Node node, int i) => node.HasInput(i) && graph.Values.TryGetValue(node.Inputs[i], out var v) ? v.Constant : null;

    private static float? Scalar(Tensor? t) => t is { Length: 1, Type: DataType.Float } ? t.ToFloats()[0] : null;

    /// <summary>The replacement node, or null and what did not match.</summary>
    private static (Node?, string) Match(Graph graph, Dictionary<string, Node> producers, Node node)
    {
        long Attr(string name, long fallback) => node.Attributes.TryGetValue(name, out var v) ? v.I : fallback;
        // Activation: DequantizeLinear(QuantizeLinear(x, s, z), s, z), per tensor.
        if (!producers.TryGetValue(node.Inputs[0], out var dqx) || dqx.OpType != "DequantizeLinear" || dqx.Domain.Length != 0)
            return (null, "its input is not a DequantizeLinear");
        if (!producers.TryGetValue(dqx.Inputs[0], out var qx) || qx.OpType != "QuantizeLinear" || qx.Domain.Length != 0)
            return (null, "its input's DequantizeLinear does not read a QuantizeLinear of a float tensor");
        if (Scalar(Const(graph, dqx, 1)) is not { } xScale || Scalar(Const(graph, qx, 1)) is not { } qScale || qScale != xScale || !(xScale > 0) || float.IsInfinity(xScale))
            return (null, "the input's QuantizeLinear and DequantizeLinear do not share one constant positive scale");
        var zq = Const(graph, qx, 2);
        var zd = Const(graph, dqx, 2);
        if ((qx.HasInput(2) && zq is null) || (dqx.HasInput(2) && zd is null) || (zq?.Length ?? 1) != 1 || (zd?.Length ?? 1) != 1)
            return (null, "the input's zero point is not one constant value");
        var zType = zq?.Type ?? (qx.Attributes.TryGetValue("output_dtype", out var od) && od.I != 0 ? (DataType)od.I : DataType.UInt8);
        if (zType is not (DataType.UInt8 or DataType.Int8) || (zd?.Type ?? DataType.UInt8) != zType && zd is not null)
            return (null, $"the input is quantized to {DataTypes.Name(zType)}; the kernels take uint8 or int8 activations");
        long zqv = zq is null ? 0 : zq.GetLong(0), zdv = zd is null ? 0 : zd.GetLong(0);
        if (zqv != zdv) return (null, "the input's QuantizeLinear and DequantizeLinear zero points differ");
        // int8 activations are the uint8 values minus 128: the same scale with the zero point moved by 128.
        int xZero = (int)zqv + (zType == DataType.Int8 ? 128 : 0);

        // Weights: DequantizeLinear of a constant int8/uint8 tensor, per tensor or per output channel.
        if (!producers.TryGetValue(node.Inputs[1], out var dqw) || dqw.OpType != "DequantizeLinear" || dqw.Domain.Length != 0)
            return (null, "its weights are not a DequantizeLinear");
        var wq = Const(graph, dqw, 0);
        var ws = Const(graph, dqw, 1);
        var wz = Const(graph, dqw, 2);
        if (wq is null || wq.Type is not (DataType.Int8 or DataType.UInt8)) return (null, "its weights' DequantizeLinear does not read a constant int8/uint8 tensor");
        if (ws is null || ws.Type != DataType.Float || (dqw.HasInput(2) && wz is null)) return (null, "its weights' scale or zero point is not constant");
        if (dqw.Attributes.TryGetValue("block_size", out var bs) && bs.I != 0) return (null, "its weights are block-quantized");
        string op = node.OpType;
        bool transB = op == "Gemm" && Attr("transB", 0) != 0;
        if (op == "Gemm" && Attr("transA", 0) != 0) return (null, "Gemm with transA");
        if (op != "Conv" && wq.Shape.Length != 2) return (null, "its weights are not a 2-D matrix");
        // The output-channel axis of the weights: Conv 0, MatMul 1 ([k, n]), Gemm 1, or 0 with transB.
        int channelAxis = op == "Conv" || transB ? 0 : 1;
        int channels = wq.Shape[channelAxis];
        long axis = dqw.Attributes.TryGetValue("axis", out var ax) ? ax.I : 1;
        if (axis < 0) axis += wq.Shape.Length;
        if (ws.Length != 1 && (ws.Length != channels || axis != channelAxis))
            return (null, $"its weight scales are per axis {axis}, not per output channel (axis {channelAxis})");
        if (wz is not null && wz.Length != ws.Length) return (null, "its weight zero points do not match its scales");
        int inner = wq.Length / System.Math.Max(1, channels);
        int ChannelOf(int idx) => channelAxis == 0 ? idx / System.Math.Max(1, inner) : idx % channels;
        var w = new sbyte[wq.Length];
        for (int idx = 0; idx < w.Length; idx++)
        {
            long v = wq.GetLong(idx) - (wz is null ? 0 : wz.GetLong(wz.Length == 1 ? 0 : ChannelOf(idx)));
            if (v < -128 || v > 127) return (null, "its weights minus their zero point do not fit int8 (the kernels take symmetric int8 weights)");
            w[idx] = (sbyte)v;
        }
        var wsv = ws.ToFloats();
        var scales = Enumerable.Range(0, channels).Select(ch => wsv[ws.Length == 1 ? 0 : ch]).ToArray();

        // Bias: Conv's input 2 or Gemm's C; float, or DequantizeLinear of int32 whose scale is x_scale * w_scale[ch].
        float alpha = op == "Gemm" && node.Attributes.TryGetValue("alpha", out var al) ? al.F : 1f;
        float beta = op == "Gemm" && node.Attributes.TryGetValue("beta", out var be) ? be.F : 1f;
        Tensor? bias = null;
        if (op != "MatMul" && node.HasInput(2))
        {
            var b = node.Inputs[2];
            if (producers.TryGetValue(b, out var dqb) && dqb is { OpType: "DequantizeLinear", Domain: "" } && Const(graph, dqb, 0) is { Type: DataType.Int32 } bq
                && Const(graph, dqb, 1) is { Type: DataType.Float } bs2 && (!dqb.HasInput(2) || Const(graph, dqb, 2) is { } bz && Enumerable.Range(0, bz.Length).All(k => bz.GetLong(k) == 0))
                && (bq.Length == channels || bq.Length == 1))
            {
                var bsv = bs2.ToFloats();
                var bv = Enumerable.Range(0, channels).Select(ch => bq.GetLong(bq.Length == 1 ? 0 : ch)).ToArray();
                var bScales = Enumerable.Range(0, channels).Select(ch => bsv[bs2.Length == 1 ? 0 : ch]).ToArray();
                // The kernel adds int32 bias to the sums before scaling by x_scale * w_scale[ch]: exact when the bias scale is that product.
                bool exact = alpha == 1f && beta == 1f && bScales.Select((s, ch) => System.Math.Abs(s - xScale * scales[ch]) <= 1e-6 * System.Math.Abs(s)).All(ok => ok)
                    && bv.All(v => System.Math.Abs(v) <= 1 << 30);
                bias = exact
                    ? new Tensor(DataType.Int32, new[] { channels }, bv.Select(v => (int)v).ToArray())
                    : Tensor.FromFloats(new[] { channels }, bv.Select((v, ch) => beta * (float)(v * (double)bScales[ch])).ToArray());
            }
            else if (Const(graph, node, 2) is { Type: DataType.Float } bf && (bf.Length == channels || bf.Length == 1)
                && (op == "Conv" || bf.Length == 1 || bf.Shape.Length >= 1 && bf.Shape[bf.Shape.Length - 1] == channels))
            {
                var v = bf.ToFloats();
                bias = Tensor.FromFloats(new[] { channels }, Enumerable.Range(0, channels).Select(ch => beta * v[bf.Length == 1 ? 0 : ch]).ToArray());
            }
            else return (null, "its bias is neither a constant with one value per output channel nor DequantizeLinear of constant int32");
        }

        var replacement = new Node(op == "Conv" ? "QuantizedConv" : "QuantizedMatMul", QuantizedMatMulOp.OpDomain, node.Name, 1);
        replacement.Inputs.Add(qx.Inputs[0]);
        string wName = node.Inputs[1] + "_int8";
        if (op == "Conv")
        {
            replacement.Inputs.Add(GraphEdit.AddConstant(graph, wName, new Tensor(DataType.Int8, wq.Shape, w)));
            foreach (var a in node.Attributes) replacement.Attributes[a.Key] = a.Value;
        }
        else
        {
            // QuantizedMatMul reads [k, n]: Gemm's transB weights are transposed here.
            int k = transB ? wq.Shape[1] : wq.Shape[0], n = channels;
            var kn = new sbyte[k * n];
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) kn[p * n + j] = w[transB ? j * k + p : p * n + j];
            replacement.Inputs.Add(GraphEdit.AddConstant(graph, wName, new Tensor(DataType.Int8, new[] { k, n }, kn)));
            if (alpha != 1f) scales = scales.Select(s => s * alpha).ToArray();
        }
        replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[1] + "_scale", Tensor.FromFloats(new[] { channels }, scales)));
        if (bias is not null) replacement.Inputs.Add(GraphEdit.AddConstant(graph, node.Inputs[1] + "_bias", bias));
        replacement.Outputs.Add(node.Outputs[0]);
        replacement.Attributes["x_scale"] = new AttributeProto { Name = "x_scale", Type = AttributeProto.Types.AttributeType.Float, F = xScale };
        replacement.Attributes["x_zero_point"] = new AttributeProto { Name = "x_zero_point", Type = AttributeProto.Types.AttributeType.Int, I = xZero };
        return (replacement, "");
    }
}
