using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Loop, unrolled at compile time: the trip count must be constant, and the condition constant at every iteration
/// (it may be computed by the body, as long as it folds). Each expansion inlines one iteration of the body under fresh
/// names and leaves a continuation Loop reading that iteration's results; when the count is reached or the condition
/// is false, the carried values become the outputs and the scan outputs are stacked. Loop-carried sequences work.
/// </summary>
internal sealed class LoopOp : ExpandingOperator
{
    public override string OpType => "Loop";

    /// <summary>Bookkeeping attributes of a continuation (never in a model: ONNX attribute names hold no space).</summary>
    private const string IterationAttribute = "eai iteration", ScanPartsAttribute = "eai scan parts";

    /// <summary>Iterations unrolled at most, so a huge trip count becomes a diagnostic rather than a huge program.</summary>
    private const int MaxIterations = 4096;

    public override IReadOnlyList<Node> Expand(OpContext ctx)
    {
        var node = ctx.Node;
        if (!node.Subgraphs.TryGetValue("body", out var body)) throw ctx.Fail("the body attribute is required");
        int carried = ctx.InputCount - 2;
        if (carried < 0) throw ctx.Fail("Loop needs the trip count and condition inputs (either may be empty)");
        int scans = body.Outputs.Count - 1 - carried;
        if (body.Inputs.Count != carried + 2 || scans < 0)
            throw ctx.Fail($"the body has {body.Inputs.Count} inputs and {body.Outputs.Count} outputs for {carried} loop-carried values");
        if (node.Outputs.Count > carried + scans) throw ctx.Fail($"has {node.Outputs.Count} outputs; the body gives {carried + scans}");

        int iteration = (int)ctx.Int(IterationAttribute, 0);
        var scanParts = ctx.Attr(ScanPartsAttribute)?.Strings.Select(s => s.ToStringUtf8()).ToList() ?? new List<string>();
        long tripCount = ctx.Has(0) ? ctx.RequireConst(0, "trip count").ToLongs()[0] : long.MaxValue;
        bool condition = true;
        if (ctx.Has(1))
        {
            var c = ctx.Input(1).Constant ?? throw new CompileError(DiagnosticDescriptors.DataDependentShape,
                $"{node.Display}: input 1 ('{node.Inputs[1]}', the loop condition{(iteration > 0 ? $" after iteration {iteration}" : "")}) is computed at run time; Loop is unrolled at compile time, so the condition must be constant");
            condition = c.GetDouble(0) != 0;
        }
        string suffix = "@" + node.Name + "#" + iteration.ToString(CultureInfo.InvariantCulture);

        if (iteration >= tripCount || !condition)
        {
            var done = new List<Node>();
            for (int i = 0; i < carried && i < node.Outputs.Count; i++)
                if (Bind(ctx, node.Inputs[2 + i], node.Outputs[i], "final" + i.ToString(CultureInfo.InvariantCulture)) is { } identity) done.Add(identity);
            for (int k = 0; k < scans && carried + k < node.Outputs.Count; k++)
            {
                if (node.Outputs[carried + k].Length == 0) continue;
                if (iteration == 0) throw ctx.Fail("the loop runs no iteration, so its scan outputs have no known shape");
                var parts = Enumerable.Range(0, iteration).Select(t => scanParts[t * scans + k]).ToList();
                done.AddRange(Stack(ctx, parts, 0, node.Outputs[carried + k], "scan" + k.ToString(CultureInfo.InvariantCulture)));
            }
            return done;
        }
        if (iteration >= MaxIterations)
            throw new CompileError(DiagnosticDescriptors.LimitExceeded, $"{node.Display} runs more than {MaxIterations} iterations; loops are unrolled at compile time");

        var bindings = new List<string>
        {
            LongConstant(ctx, "iter" + iteration.ToString(CultureInfo.InvariantCulture), Shape.Scalar, new long[] { iteration }),
            ctx.Has(1) ? node.Inputs[1] : BoolTrue(ctx),
        };
        bindings.AddRange(node.Inputs.Skip(2));
        var (nodes, outputs) = Instantiate(ctx, body, bindings, suffix);

        var next = new Node(node.OpType, node.Domain, node.Name, node.Opset) { Guards = node.Guards };
        next.Inputs.Add(ctx.Has(0) ? node.Inputs[0] : "");
        next.Inputs.Add(outputs[0]);
        next.Inputs.AddRange(outputs.Skip(1).Take(carried));
        next.Outputs.AddRange(node.Outputs);
        foreach (var kv in node.Attributes) next.Attributes[kv.Key] = kv.Value;
        next.Subgraphs["body"] = body;
        next.Attributes[IterationAttribute] = IntAttribute(IterationAttribute, iteration + 1);
        var parts2 = new AttributeProto { Name = ScanPartsAttribute, Type = AttributeProto.Types.AttributeType.Strings };
        parts2.Strings.AddRange(scanParts.Concat(outputs.Skip(1 + carried)).Select(Google.Protobuf.ByteString.CopyFromUtf8));
        next.Attributes[ScanPartsAttribute] = parts2;
        nodes.Add(next);
        return nodes;
    }

    private static string BoolTrue(OpContext ctx)
    {
        var name = Local(ctx, "true");
        var v = ctx.Graph.Value(name);
        var t = Tensor.Create(DataType.Bool, Shape.Scalar);
        t.Set(0, 1);
        v.Constant = t;
        v.Type = DataType.Bool;
        v.Shape = Shape.Scalar;
        return name;
    }
}
