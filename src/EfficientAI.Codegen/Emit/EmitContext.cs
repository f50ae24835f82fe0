using System.Collections.Generic;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Emit;

/// <summary>What an operator needs to emit code: its node, the writer, and C# names for tensors and constant tables.</summary>
internal sealed class EmitContext : OpContext
{
    private readonly EmitSymbols _symbols;

    public EmitContext(Graph graph, Node node, SourceWriter writer, EmitSymbols symbols) : base(graph, node)
    {
        W = writer;
        _symbols = symbols;
    }

    public SourceWriter W { get; }

    /// <summary>A span expression (ReadOnlySpan or Span of the element type) for input i.</summary>
    public string In(int i) => _symbols.Tensor(Node.Inputs[i]);

    /// <summary>A Span expression for output i.</summary>
    public string Out(int i) => _symbols.Tensor(Node.Outputs[i]);

    /// <summary>The name of a static ReadOnlySpan&lt;int&gt; holding these values (shapes, strides, offsets).</summary>
    public string IntTable(int[] values) => _symbols.IntTable(values);

    /// <summary>The name of a static ReadOnlySpan holding a tensor derived at compile time (folded weights).</summary>
    public string ConstantTable(Tensor t, string hint) => _symbols.Constant(t, hint);

    public static string F(float v) => Literal.Float(v);

    /// <summary>Element i of a constant as a C# literal of its element type.</summary>
    public static string Scalar(Tensor t, int i) => t.Type switch
    {
        DataType.Float => F((float)t.GetDouble(i)),
        DataType.Double => Literal.Double(t.GetDouble(i)),
        DataType.Bool => B(t.GetLong(i) != 0),
        DataType.UInt64 => $"(ulong){((ulong[])t.Data)[i].ToString(System.Globalization.CultureInfo.InvariantCulture)}UL",
        _ => $"({DataTypes.CSharp(t.Type)}){Literal.Int(t.GetLong(i))}",
    };
    public static string I(long v) => Literal.Int(v);
    public static string B(bool v) => Literal.Bool(v);

    /// <summary>
    /// The node's fused activation (set by ActivationFusion) as a runtime Activation value, "default" when none: the
    /// packed GEMM and Conv kernels apply it in their epilogue.
    /// </summary>
    public string ActivationArgument => Node.Activation is { } a
        ? $"new global::EfficientAI.Runtime.Activation(global::EfficientAI.Runtime.ActivationKind.{a.Kind}, {F(a.Alpha)}, {F(a.Beta)})"
        : "default";

    /// <summary>Applies the node's fused activation (if any) in place to <paramref name="output"/>, for kernels without an epilogue.</summary>
    public void EmitActivation(string output)
    {
        if (Node.Activation is null) return;
        W.Line($"{ActivationArgument}.Apply({output});");
    }

    /// <summary>The scratch span the planner reserved for this node (see <see cref="Operator"/> scratch), as float.</summary>
    public string Scratch => _symbols.Scratch(Node);
}

/// <summary>Names of everything the emitted code refers to, owned by <see cref="ModelEmitter"/>.</summary>
internal abstract class EmitSymbols
{
    public abstract string Tensor(string valueName);
    public abstract string IntTable(int[] values);
    public abstract string Constant(Tensor t, string hint);
    public abstract string Scratch(Node node);
}
