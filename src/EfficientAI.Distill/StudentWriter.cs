using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Distill.Training;
using Google.Protobuf;

namespace EfficientAI.Distill;

/// <summary>
/// Writes a trained network as ONNX (opset 13: Conv, Relu, MaxPool, AveragePool, GlobalAveragePool, Flatten, Gemm) with
/// the protobuf classes the generator reads. Input and output keep the teacher's names, so the student drops in for it.
/// </summary>
internal static class StudentWriter
{
    public static ModelProto Build(Network net, string inputName, string outputName, string description)
    {
        var graph = new GraphProto { Name = "student" };
        var model = new ModelProto { IrVersion = 7, ProducerName = "eai-distill", ProducerVersion = "0.1.0", DocString = description, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        graph.Input.Add(ValueInfo(inputName, new[] { 1 }.Concat(net.InputShape).ToArray()));
        string current = inputName;
        for (int i = 0; i < net.Layers.Count; i++)
        {
            var layer = net.Layers[i];
            string output = i == net.Layers.Count - 1 ? outputName : $"{NodeName(layer, i)}_out";
            NodeProto? node = layer switch
            {
                Conv2d c => Node("Conv", NodeName(layer, i), new[] { current, Weight(graph, c.Weight), Weight(graph, c.Bias) }, output,
                    Ints("kernel_shape", c.Kernel, c.Kernel), Ints("strides", c.Stride, c.Stride), Ints("pads", c.Padding, c.Padding, c.Padding, c.Padding)),
                Relu => Node("Relu", NodeName(layer, i), new[] { current }, output),
                Pool2d p => Node(p.IsMax ? "MaxPool" : "AveragePool", NodeName(layer, i), new[] { current }, output,
                    Ints("kernel_shape", p.Kernel, p.Kernel), Ints("strides", p.Kernel, p.Kernel)),
                GlobalAvgPool => Node("GlobalAveragePool", NodeName(layer, i), new[] { current }, output),
                // ONNX Flatten of [1, F] is [1, F]: the node is only needed when the input has more axes.
                Flatten f when f.InShape.Length == 1 && i != net.Layers.Count - 1 => null,
                Flatten => Node("Flatten", NodeName(layer, i), new[] { current }, output, Int("axis", 1)),
                Linear l => Node("Gemm", NodeName(layer, i), new[] { current, Weight(graph, l.Weight), Weight(graph, l.Bias) }, output, Int("transB", 1)),
                _ => throw new InvalidOperationException("no ONNX form for " + layer.GetType().Name),
            };
            if (node is null) continue;
            graph.Node.Add(node);
            current = output;
        }
        graph.Output.Add(ValueInfo(outputName, new[] { 1, net.OutputSize }));
        return model;
    }

    public static byte[] Write(Network net, string inputName, string outputName, string description) =>
        Build(net, inputName, outputName, description).ToByteArray();

    private static string NodeName(Layer layer, int index) => layer switch
    {
        Conv2d c => c.Weight.Name.Split('.')[0],
        Linear l => l.Weight.Name.Split('.')[0],
        _ => layer.GetType().Name.ToLowerInvariant() + index,
    };

    private static string Weight(GraphProto graph, Parameter p)
    {
        var t = new TensorProto { Name = p.Name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(p.Shape.Select(d => (long)d));
        var bytes = new byte[p.Value.Length * 4];
        for (int i = 0; i < p.Value.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(4 * i), (float)p.Value[i]);
        t.RawData = ByteString.CopyFrom(bytes);
        graph.Initializer.Add(t);
        return p.Name;
    }

    private static ValueInfoProto ValueInfo(string name, int[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }

    private static NodeProto Node(string op, string name, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.AddRange(inputs);
        n.Output.Add(output);
        n.Attribute.AddRange(attributes);
        return n;
    }

    private static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    private static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }
}
