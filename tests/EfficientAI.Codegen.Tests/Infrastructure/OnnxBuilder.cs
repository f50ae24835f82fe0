using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Onnx.Proto;
using Google.Protobuf;

namespace EfficientAI.Codegen.Tests.Infrastructure;

/// <summary>Builds small ONNX models in C# for tests.</summary>
internal sealed class OnnxBuilder
{
    private readonly ModelProto _model = new() { IrVersion = 8, ProducerName = "EfficientAI.Codegen.Tests", Graph = new GraphProto { Name = "test" } };
    private int _counter;

    public OnnxBuilder(int opset = 13)
    {
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    public GraphProto Graph => _model.Graph;

    public OnnxBuilder Input(string name, int elemType, params object[] dims)
    {
        _model.Graph.Input.Add(ValueInfo(name, elemType, dims));
        return this;
    }

    public OnnxBuilder Input(string name, params int[] dims) => Input(name, 1, dims.Cast<object>().ToArray());

    public OnnxBuilder Output(string name, int elemType = 1)
    {
        _model.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType } } });
        return this;
    }

    public static ValueInfoProto ValueInfo(string name, int elemType, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } } };
    }

    public string Initializer(string name, int[] shape, float[] data, bool raw = true)
    {
        _model.Graph.Initializer.Add(FloatTensor(name, shape, data, raw));
        return name;
    }

    public string Initializer(string name, int[] shape, long[] data)
    {
        var t = new TensorProto { Name = name, DataType = 7 };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.Int64Data.AddRange(data);
        _model.Graph.Initializer.Add(t);
        return name;
    }

    public string Ints(params long[] values) => Initializer("c" + _counter++, new[] { values.Length }, values);

    public static TensorProto FloatTensor(string name, int[] shape, float[] data, bool raw = true)
    {
        var t = new TensorProto { Name = name, DataType = 1 };
        t.Dims.AddRange(shape.Select(d => (long)d));
        if (raw)
        {
            var bytes = new byte[data.Length * 4];
            Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
            t.RawData = ByteString.CopyFrom(bytes);
        }
        else t.FloatData.AddRange(data);
        return t;
    }

    public OnnxBuilder Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = op.ToLowerInvariant() + "_" + _counter++ };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        _model.Graph.Node.Add(n);
        return this;
    }

    public OnnxBuilder Node(string op, string input, string output, params AttributeProto[] attributes) =>
        Node(op, new[] { input }, new[] { output }, attributes);

    public byte[] Build() => _model.ToByteArray();

    public ModelProto Model => _model;
}

/// <summary>Attribute constructors.</summary>
internal static class A
{
    public static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
    public static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };
    public static AttributeProto Str(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };

    public static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    public static AttributeProto Floats(string name, params float[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.AddRange(v);
        return a;
    }

    public static AttributeProto Strs(string name, params string[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        a.Strings.AddRange(v.Select(ByteString.CopyFromUtf8));
        return a;
    }

    public static AttributeProto Tensor(string name, TensorProto t) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t };
}
