using System;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Ops;

/// <summary>What an operator sees of its node: inputs, attributes, and where to put its outputs.</summary>
internal class OpContext
{
    public OpContext(Graph graph, Node node)
    {
        Graph = graph;
        Node = node;
    }

    public Graph Graph { get; }
    public Node Node { get; }
    public int Opset => Node.Opset;

    public int InputCount => Node.Inputs.Count;
    public int OutputCount => Node.Outputs.Count;
    public bool Has(int i) => Node.HasInput(i);
    public bool HasOutput(int i) => i < Node.Outputs.Count && Node.Outputs[i].Length > 0;

    public Value Input(int i)
    {
        if (!Has(i)) throw Fail($"input {i} is required");
        return Graph.Values.TryGetValue(Node.Inputs[i], out var v) && v.IsKnown ? v
            : throw Fail($"input '{Node.Inputs[i]}' is not produced by any earlier node, initializer or graph input");
    }

    public Value Output(int i) => Graph.Value(Node.Outputs[i]);

    public int[] Shape(int i) => Input(i).RequireShape;
    public int Rank(int i) => Shape(i).Length;
    public DataType Type(int i) => Input(i).Type;
    public Tensor? Const(int i) => Has(i) ? Input(i).Constant : null;
    public bool AllInputsConstant => Enumerable.Range(0, InputCount).All(i => !Has(i) || Const(i) is not null);

    /// <summary>A constant input that decides an output shape; a clear error when it is only known at run time.</summary>
    public Tensor RequireConst(int i, string role) =>
        Const(i) ?? throw new CompileError(DiagnosticDescriptors.DataDependentShape,
            $"{Node.Display}: input {i} ('{Node.Inputs[i]}', the {role}) is computed at run time, but it decides the output shape");

    public void SetOutput(int i, DataType type, int[] shape)
    {
        if (!HasOutput(i)) return;
        var v = Output(i);
        v.Type = type;
        v.Shape = shape;
    }

    public void SetConst(int i, Tensor t)
    {
        if (!HasOutput(i)) return;
        var v = Output(i);
        v.Type = t.Type;
        v.Shape = t.Shape;
        v.Constant = t;
    }

    public CompileError Fail(string message) => new(DiagnosticDescriptors.InvalidNode, $"{Node.Display}: {message}");

    public void RequireFloat(int i)
    {
        if (Type(i) != DataType.Float) throw new CompileError(DiagnosticDescriptors.UnsupportedType,
            $"{Node.Display}: input '{Node.Inputs[i]}' is {DataTypes.Name(Type(i))}; this op supports float only");
    }

    // Attributes -------------------------------------------------------------------------------------------

    public bool HasAttr(string name) => Node.Attributes.ContainsKey(name);
    public AttributeProto? Attr(string name) => Node.Attributes.TryGetValue(name, out var a) ? a : null;
    public long Int(string name, long fallback) => Attr(name) is { } a ? a.I : fallback;
    public float Float(string name, float fallback) => Attr(name) is { } a ? a.F : fallback;
    public string Str(string name, string fallback) => Attr(name) is { } a ? a.S.ToStringUtf8() : fallback;
    public long[]? Ints(string name) => Attr(name) is { } a ? a.Ints.ToArray() : null;
    public float[]? Floats(string name) => Attr(name) is { } a ? a.Floats.ToArray() : null;

    public int[]? IntArray(string name)
    {
        var v = Ints(name);
        if (v is null) return null;
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            if (v[i] > int.MaxValue || v[i] < int.MinValue) throw Fail($"attribute {name} value {v[i]} is out of range");
            r[i] = (int)v[i];
        }
        return r;
    }
}
