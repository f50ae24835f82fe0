using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Emit;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// One ONNX operator: its shape and type inference, its compile-time evaluation (for constant folding) and
/// the code it emits. One subclass per op, in a file named after the op; the registry finds them by reflection.
/// </summary>
internal abstract class Operator
{
    /// <summary>The ONNX op_type this class compiles.</summary>
    public abstract string OpType { get; }

    /// <summary>The ONNX domain ("" is the default ai.onnx domain).</summary>
    public virtual string Domain => "";

    /// <summary>
    /// Replaces the node by other nodes before its shapes are inferred (an If inlines its branches), or returns
    /// null to keep it. Shape inference then continues with the first replacement node.
    /// </summary>
    public virtual IReadOnlyList<Ir.Node>? Expand(OpContext ctx) => null;

    /// <summary>Sets the type and shape of every output. Throws <see cref="Diagnostics.CompileError"/> on invalid nodes.</summary>
    public abstract void Infer(OpContext ctx);

    /// <summary>
    /// Computes the outputs at compile time when every input is constant, with the same semantics as the emitted
    /// code. Returns false when the op cannot be folded.
    /// </summary>
    public virtual bool TryEvaluate(OpContext ctx) => false;

    /// <summary>Writes the code that computes the node's outputs.</summary>
    public abstract void Emit(EmitContext ctx);

    /// <summary>True when output 0 is input 0's data under another shape: no code, no memory.</summary>
    public virtual bool IsView => false;

    /// <summary>
    /// The input whose memory output 0 may overwrite (element-wise ops whose kernels allow y to alias x), or -1.
    /// The planner uses it only when that input dies at this node.
    /// </summary>
    public virtual int InPlaceInput(OpContext ctx) => -1;

    /// <summary>
    /// Floats of working memory the emitted code needs while this node runs (gate buffers, im2col panels); the
    /// planner reserves them in the arena for this step only and <see cref="EmitContext.Scratch"/> names them.
    /// </summary>
    public virtual long ScratchFloats(OpContext ctx) => 0;

    /// <summary>
    /// True when <see cref="Infer"/> sets the float16/bfloat16 precision of its outputs itself (Cast) and its code
    /// rounds to it; otherwise a float output takes the precision of the first float input that has one, and the
    /// emitter rounds it after the op.
    /// </summary>
    public virtual bool SetsPrecision => false;

    /// <summary>Multiply-accumulates per inference, for the report.</summary>
    public virtual long Macs(OpContext ctx) => 0;
}

/// <summary>Finds operators by (domain, op_type).</summary>
internal static class OperatorRegistry
{
    private static readonly Dictionary<(string Domain, string OpType), Operator> s_ops = Discover();

    public static Operator? Find(string domain, string opType) =>
        s_ops.TryGetValue((domain == "ai.onnx" ? "" : domain, opType), out var op) ? op : null;

    public static IEnumerable<Operator> All => s_ops.Values.OrderBy(o => o.Domain, StringComparer.Ordinal).ThenBy(o => o.OpType, StringComparer.Ordinal);

    private static Dictionary<(string, string), Operator> Discover()
    {
        var map = new Dictionary<(string, string), Operator>();
        foreach (var type in typeof(Operator).Assembly.GetTypes())
        {
            if (type.IsAbstract || !typeof(Operator).IsAssignableFrom(type) || type.GetConstructor(Type.EmptyTypes) is null) continue;
            var op = (Operator)Activator.CreateInstance(type)!;
            map[(op.Domain, op.OpType)] = op;
        }
        return map;
    }
}
