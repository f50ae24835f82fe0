using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Scan (opset 8-16), unrolled at compile time: every step inlines the body under fresh names, its scan-input slices
/// taken with Gather (scan_input_axes, scan_input_directions) and its scan outputs stacked with Unsqueeze/Concat
/// (scan_output_axes, scan_output_directions). Opset 8's batch axis is unrolled too; its sequence_lens must be
/// absent or full.
/// </summary>
internal sealed class ScanOp : ExpandingOperator
{
    public override string OpType => "Scan";

    private const int MaxSteps = 4096;

    public override IReadOnlyList<Node> Expand(OpContext ctx)
    {
        var node = ctx.Node;
        if (!node.Subgraphs.TryGetValue("body", out var body)) throw ctx.Fail("the body attribute is required");
        int scanInputs = (int)ctx.Int("num_scan_inputs", -1);
        bool batched = ctx.Opset < 9;
        int first = batched ? 1 : 0;
        int states = ctx.InputCount - first - scanInputs;
        if (scanInputs <= 0 || states < 0) throw ctx.Fail($"num_scan_inputs {scanInputs} does not fit {ctx.InputCount} inputs");
        int scanOutputs = body.Outputs.Count - states;
        if (body.Inputs.Count != states + scanInputs || scanOutputs < 0)
            throw ctx.Fail($"the body has {body.Inputs.Count} inputs and {body.Outputs.Count} outputs for {states} states and {scanInputs} scan inputs");

        var inputAxes = ctx.IntArray("scan_input_axes") ?? new int[scanInputs];
        var inputDirections = ctx.IntArray(batched ? "directions" : "scan_input_directions") ?? new int[scanInputs];
        var outputAxes = ctx.IntArray("scan_output_axes") ?? new int[scanOutputs];
        var outputDirections = ctx.IntArray("scan_output_directions") ?? new int[scanOutputs];
        if (inputAxes.Length != scanInputs || inputDirections.Length != scanInputs || outputAxes.Length != scanOutputs || outputDirections.Length != scanOutputs)
            throw ctx.Fail("the scan axes and directions need one entry per scan input and output");

        var nodes = new List<Node>();
        int batch = 1;
        if (batched)
        {
            batch = ctx.Shape(1).Length > 0 ? ctx.Shape(1)[0] : throw ctx.Fail("opset 8 Scan inputs need a batch axis");
            if (ctx.Has(0))
            {
                int steps8 = ctx.Shape(first + states)[1];
                var lengths = ctx.RequireConst(0, "sequence_lens").ToLongs();
                if (lengths.Any(l => l != steps8)) throw ctx.Fail($"sequence_lens [{string.Join(",", lengths)}] differ from the sequence length {steps8}; only full sequences are supported");
            }
        }

        // Per batch entry (one when not batched): the states and scan inputs as the body sees them.
        var finalStates = new List<string>[states];
        var stackedOutputs = new List<string>[scanOutputs];
        for (int i = 0; i < states; i++) finalStates[i] = new List<string>();
        for (int k = 0; k < scanOutputs; k++) stackedOutputs[k] = new List<string>();
        for (int b = 0; b < batch; b++)
        {
            string tag = batched ? "b" + b.ToString(CultureInfo.InvariantCulture) : "";
            var stateNames = node.Inputs.Skip(first).Take(states).ToList();
            var scanNames = node.Inputs.Skip(first + states).Take(scanInputs).ToList();
            var axes = (int[])inputAxes.Clone();
            if (batched)
            {
                stateNames = stateNames.Select((s, i) => Take(ctx, nodes, s, 0, b, $"{tag}state{i}")).ToList();
                scanNames = scanNames.Select((s, j) => Take(ctx, nodes, s, 0, b, $"{tag}scanin{j}")).ToList();
            }
            int steps = -1;
            for (int j = 0; j < scanInputs; j++)
            {
                var shape = batched ? ctx.Shape(first + states + j).Skip(1).ToArray() : ctx.Shape(first + states + j);
                axes[j] = Shape.Axis(axes[j], shape.Length);
                if (steps >= 0 && shape[axes[j]] != steps) throw ctx.Fail("scan inputs differ in length");
                steps = shape[axes[j]];
            }
            if (steps <= 0) throw ctx.Fail("the scan has no steps");
            if (steps > MaxSteps)
                throw new Diagnostics.CompileError(Diagnostics.DiagnosticDescriptors.LimitExceeded, $"{node.Display} runs {steps} steps; Scan is unrolled at compile time and at most {MaxSteps} are supported");

            var perStep = new List<string>[scanOutputs];
            for (int k = 0; k < scanOutputs; k++) perStep[k] = new List<string>();
            for (int t = 0; t < steps; t++)
            {
                string step = tag + "t" + t.ToString(CultureInfo.InvariantCulture);
                var bindings = new List<string>(stateNames);
                for (int j = 0; j < scanInputs; j++)
                    bindings.Add(Take(ctx, nodes, scanNames[j], axes[j], inputDirections[j] != 0 ? steps - 1 - t : t, $"{step}in{j}"));
                var (bodyNodes, outputs) = Instantiate(ctx, body, bindings, "@" + node.Name + "#" + step);
                nodes.AddRange(bodyNodes);
                stateNames = outputs.Take(states).ToList();
                for (int k = 0; k < scanOutputs; k++) perStep[k].Add(outputs[states + k]);
            }

            for (int i = 0; i < states; i++) finalStates[i].Add(stateNames[i]);
            for (int k = 0; k < scanOutputs; k++)
            {
                var parts = outputDirections[k] != 0 ? Enumerable.Reverse(perStep[k]).ToList() : perStep[k];
                if (!batched)
                {
                    stackedOutputs[k].AddRange(parts);
                    continue;
                }
                var stacked = Local(ctx, $"{tag}scanout{k}");
                nodes.AddRange(Stack(ctx, parts, outputAxes[k], stacked, $"{tag}scanout{k}"));
                stackedOutputs[k].Add(stacked);
            }
        }

        for (int i = 0; i < states && i < node.Outputs.Count; i++)
        {
            if (!batched)
            {
                if (Bind(ctx, finalStates[i][0], node.Outputs[i], "state" + i.ToString(CultureInfo.InvariantCulture)) is { } identity) nodes.Add(identity);
            }
            else if (node.Outputs[i].Length > 0) nodes.AddRange(Stack(ctx, finalStates[i], 0, node.Outputs[i], "state" + i.ToString(CultureInfo.InvariantCulture)));
        }
        for (int k = 0; k < scanOutputs && states + k < node.Outputs.Count; k++)
        {
            if (node.Outputs[states + k].Length == 0) continue;
            // Opset 8 stacks each batch entry's scan (its axis 0) along the batch axis; later opsets stack the steps.
            int axis = batched ? 0 : outputAxes[k];
            if (!batched && axis < 0)
            {
                int rank = ctx.Graph.Values.TryGetValue(stackedOutputs[k][0], out var v) && v.Shape is { } s ? s.Length : -1;
                if (rank < 0) throw ctx.Fail("a negative scan_output_axes needs the body output's rank");
                axis = Shape.Axis(axis, rank + 1);
            }
            nodes.AddRange(Stack(ctx, stackedOutputs[k], axis, node.Outputs[states + k], "scanout" + k.ToString(CultureInfo.InvariantCulture)));
        }
        return nodes;
    }

    /// <summary>x[..., index, ...] on the axis, the axis removed (Gather with a scalar index).</summary>
    private static string Take(OpContext ctx, List<Node> nodes, string x, int axis, int index, string suffix)
    {
        var output = Local(ctx, suffix);
        var gather = NewNode(ctx, "Gather", 13, suffix, new[] { x, LongConstant(ctx, suffix + "/index", Shape.Scalar, new long[] { index }) }, new[] { output });
        gather.Attributes["axis"] = IntAttribute("axis", axis);
        nodes.Add(gather);
        return output;
    }
}
