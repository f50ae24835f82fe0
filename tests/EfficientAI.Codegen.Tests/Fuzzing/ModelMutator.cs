using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Onnx.Proto;
using Google.Protobuf;

namespace EfficientAI.Codegen.Fuzzing;

/// <summary>
/// Mutates ONNX models the way hostile or broken files differ from good ones: byte-level (bit flips, truncation,
/// corrupted varints and lengths) and structural (swapped dtypes, negative and enormous dims, duplicated and
/// reordered nodes, cycles, dangling inputs, deep subgraph nesting, huge declared tensors). Deterministic per seed.
/// </summary>
internal static class ModelMutator
{
    public static byte[] Mutate(byte[] seed, Random rng)
    {
        int kind = rng.Next(12);
        if (kind < 5) return MutateBytes(seed, rng, kind);
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(seed); }
        catch (InvalidProtocolBufferException) { return MutateBytes(seed, rng, 0); }
        MutateStructure(model, rng, kind - 5);
        return model.ToByteArray();
    }

    private static byte[] MutateBytes(byte[] seed, Random rng, int kind)
    {
        var b = (byte[])seed.Clone();
        if (b.Length == 0) return b;
        switch (kind)
        {
            case 0: // bit flips
                for (int i = rng.Next(1, 9); i > 0; i--) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                return b;
            case 1: // truncation
                return b.Take(rng.Next(b.Length)).ToArray();
            case 2: // a run of random bytes
            {
                int at = rng.Next(b.Length), len = Math.Min(b.Length - at, rng.Next(1, 64));
                for (int i = 0; i < len; i++) b[at + i] = (byte)rng.Next(256);
                return b;
            }
            case 3: // corrupted varints / lengths: continuation bits that never end, or maximal values
            {
                int at = rng.Next(b.Length), len = Math.Min(b.Length - at, rng.Next(1, 11));
                for (int i = 0; i < len; i++) b[at + i] = 0xFF;
                return b;
            }
            default: // a slice of the file spliced in again (duplicated and reordered fields)
            {
                int at = rng.Next(b.Length), len = Math.Min(b.Length - at, rng.Next(1, 256));
                int to = rng.Next(b.Length);
                return b.Take(to).Concat(b.Skip(at).Take(len)).Concat(b.Skip(to)).ToArray();
            }
        }
    }

    private static void MutateStructure(ModelProto model, Random rng, int kind)
    {
        var g = model.Graph ??= new GraphProto();
        switch (kind)
        {
            case 0: // swapped dtypes
                foreach (var t in g.Initializer.Where(_ => rng.Next(3) == 0)) t.DataType = rng.Next(0, 25);
                foreach (var v in g.Input.Where(_ => rng.Next(2) == 0))
                    if (v.Type?.TensorType is { } tt) tt.ElemType = rng.Next(0, 25);
                break;
            case 1: // negative and enormous dims, declared but not stored
                foreach (var t in g.Initializer.Where(_ => rng.Next(2) == 0))
                    if (t.Dims.Count > 0) t.Dims[rng.Next(t.Dims.Count)] = rng.Next(3) switch { 0 => -rng.Next(1, 5), 1 => (long)int.MaxValue * rng.Next(1, 4), _ => 1L << rng.Next(20, 62) };
                foreach (var v in g.Input)
                    if (v.Type?.TensorType?.Shape is { } s && s.Dim.Count > 0) s.Dim[rng.Next(s.Dim.Count)].DimValue = rng.Next(2) == 0 ? -7 : 1L << rng.Next(20, 40);
                break;
            case 2: // duplicated, dropped and reordered nodes (cycles and use-before-definition)
                if (g.Node.Count > 0)
                {
                    var nodes = g.Node.ToList();
                    if (rng.Next(2) == 0) nodes.Add(nodes[rng.Next(nodes.Count)].Clone());
                    if (rng.Next(2) == 0 && nodes.Count > 1) nodes.RemoveAt(rng.Next(nodes.Count));
                    nodes = nodes.OrderBy(_ => rng.Next()).ToList();
                    if (rng.Next(2) == 0 && nodes.Count > 1) nodes[0].Input.Add(nodes[^1].Output.FirstOrDefault() ?? "x");
                    g.Node.Clear();
                    g.Node.AddRange(nodes);
                }
                break;
            case 3: // dangling inputs and outputs, empty names
                foreach (var n in g.Node.Where(_ => rng.Next(3) == 0))
                    if (n.Input.Count > 0) n.Input[rng.Next(n.Input.Count)] = rng.Next(2) == 0 ? "nowhere_" + rng.Next(100) : "";
                if (rng.Next(2) == 0) g.Output.Add(new ValueInfoProto { Name = "missing_output" });
                break;
            case 4: // attributes of the wrong kind or value
                foreach (var n in g.Node)
                    foreach (var a in n.Attribute.Where(_ => rng.Next(2) == 0))
                    {
                        a.I = rng.Next(4) switch { 0 => -1, 1 => long.MaxValue, 2 => 0, _ => rng.Next(-100, 100) };
                        if (a.Ints.Count > 0) a.Ints[rng.Next(a.Ints.Count)] = rng.Next(2) == 0 ? -100 : int.MaxValue;
                        if (rng.Next(3) == 0) a.Ints.Clear();
                        if (rng.Next(4) == 0) a.F = float.NaN;
                    }
                break;
            case 5: // deep subgraph nesting: If nodes inside If bodies
            {
                var body = new GraphProto();
                for (int depth = rng.Next(10, 200); depth > 0; depth--)
                {
                    var outer = new GraphProto();
                    var ifNode = new NodeProto { OpType = "If", Name = "if" + depth };
                    ifNode.Input.Add(g.Input.FirstOrDefault()?.Name ?? "c");
                    ifNode.Output.Add("o" + depth);
                    ifNode.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = body });
                    // else gets an empty graph: sharing one body in both branches would double the file per level.
                    ifNode.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = new GraphProto() });
                    outer.Node.Add(ifNode);
                    outer.Output.Add(new ValueInfoProto { Name = "o" + depth });
                    body = outer;
                }
                g.Node.Add(body.Node[0]);
                break;
            }
            default: // a huge constant declared with tiny data, and a ConstantOfShape asking for a huge tensor
            {
                var t = new TensorProto { Name = "huge", DataType = 1 };
                t.Dims.Add(1L << rng.Next(20, 33));
                t.FloatData.Add(1f);
                g.Initializer.Add(t);
                var shape = new TensorProto { Name = "huge_shape", DataType = 7 };
                shape.Dims.Add(3);
                shape.Int64Data.AddRange(new long[] { 1 << 12, 1 << 12, 1 << rng.Next(4, 12) });
                g.Initializer.Add(shape);
                var n = new NodeProto { OpType = "ConstantOfShape", Name = "big" };
                n.Input.Add("huge_shape");
                n.Output.Add(g.Output.FirstOrDefault()?.Name ?? "y");
                g.Node.Add(n);
                break;
            }
        }
    }

    /// <summary>What one fuzz input did to the compiler.</summary>
    internal enum Outcome { Compiled, Diagnosed, Crashed, Hung }

    /// <summary>
    /// Compiles one input with a time bound. A crash is an exception escaping the compiler or an internal-error
    /// diagnostic (EAI0901: an unexpected exception caught at the top); a hang is a compile that overruns the bound.
    /// </summary>
    public static (Outcome Outcome, string Detail) Run(byte[] input, TimeSpan bound)
    {
        using var cts = new CancellationTokenSource();
        var request = new ModelRequest(new ModelFile("fuzz.onnx", new EquatableArray<byte>(input), null), ModelOptions.Default("fuzz.onnx") with { Dims = "batch=1;sequence=64;N=1" });
        var task = Task.Run(() => ModelCompiler.CompileDetailed(request, cts.Token).Output);
        try
        {
            if (!task.Wait(bound))
            {
                cts.Cancel();
                return (Outcome.Hung, $"no result within {bound.TotalSeconds:F0} s");
            }
        }
        catch (AggregateException e)
        {
            return (Outcome.Crashed, e.InnerException!.GetType().Name + ": " + e.InnerException.Message);
        }
        var output = task.Result;
        var internalError = output.Diagnostics.FirstOrDefault(d => d.Id == "EAI0901");
        if (internalError is not null) return (Outcome.Crashed, internalError.Format());
        return output.Sources.Length > 0 ? (Outcome.Compiled, "") : (Outcome.Diagnosed, output.Diagnostics.FirstOrDefault()?.Id ?? "(none)");
    }
}
