using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Emit;

/// <summary>Where one intermediate tensor lives in the arena, and during which steps.</summary>
internal sealed record ArenaSlot(string Value, int Offset, int Bytes, int FirstStep, int LastStep);

/// <summary>
/// The static memory plan: every intermediate tensor gets an offset in one arena, assigned at compile time
/// greedily by size (largest first, lowest free offset among tensors alive at the same time). View ops
/// (Reshape, Flatten, ...) alias their input and extend its lifetime.
/// </summary>
internal sealed class MemoryPlan
{
    public const int Alignment = 64;

    public Dictionary<string, ArenaSlot> Slots { get; } = new();
    /// <summary>value -> the value whose storage it shares (view outputs).</summary>
    public Dictionary<string, string> Aliases { get; } = new();
    /// <summary>Nodes emitted as no code because their output aliases their input.</summary>
    public HashSet<Node> Views { get; } = new();
    public int ArenaBytes { get; private set; }
    /// <summary>The largest total of aligned tensor sizes alive at one step: no plan can do better.</summary>
    public long LowerBound { get; private set; }
    /// <summary>The sum of all aligned tensor sizes: the arena without any reuse.</summary>
    public long NoReuse { get; private set; }

    /// <summary>Node -> the arena slot of its per-step scratch (see <see cref="Operator.ScratchFloats"/>).</summary>
    public Dictionary<Node, ArenaSlot> Scratch { get; } = new();

    public string Root(string value) => Aliases.TryGetValue(value, out var r) ? Root(r) : value;

    /// <summary>Nodes whose output overwrites an input that dies there (element-wise ops).</summary>
    public HashSet<Node> InPlace { get; } = new();

    public static MemoryPlan Build(Graph graph, bool inPlace = true, System.Threading.CancellationToken ct = default)
    {
        var plan = new MemoryPlan();
        var outputs = new HashSet<string>(graph.Outputs);
        var first = new Dictionary<string, int>();
        var last = new Dictionary<string, int>();
        var lastUse = new Dictionary<string, int>();
        var scratch = new List<(Node Node, string Key, long Bytes, int Step)>();
        for (int step = 0; step < graph.Nodes.Count; step++)
            foreach (var input in Reads(graph.Nodes[step]))
                if (input.Length > 0) lastUse[input] = step;
        for (int step = 0; step < graph.Nodes.Count; step++)
        {
            ct.ThrowIfCancellationRequested();
            var node = graph.Nodes[step];
            var op = OperatorRegistry.Find(node.Domain, node.OpType)!;
            long scratchFloats = op.ScratchFloats(new OpContext(graph, node));
            if (scratchFloats > 0) scratch.Add((node, ScratchKey(step), checked(scratchFloats * sizeof(float)), step));
            if (inPlace && plan.TryInPlace(graph, node, op, step, first, lastUse, outputs))
            {
                foreach (var input in Reads(node))
                    if (input.Length > 0 && first.ContainsKey(plan.Root(input))) last[plan.Root(input)] = step;
                continue;
            }
            foreach (var input in Reads(node))
            {
                if (input.Length == 0) continue;
                var root = plan.Root(input);
                if (first.ContainsKey(root)) last[root] = step;
            }
            if (op.IsView && !outputs.Contains(node.Outputs[0]) && graph.Values[node.Outputs[0]].Constant is null)
            {
                plan.Alias(node.Outputs[0], node.Inputs[0], lastUse);
                plan.Views.Add(node);
                continue;
            }
            foreach (var output in node.Outputs)
            {
                if (output.Length == 0 || outputs.Contains(output) || graph.Values[output].Constant is not null) continue;
                first[output] = step;
                last[output] = step;
                plan._rootLastUse[output] = lastUse.TryGetValue(output, out var u) ? u : step;
            }
        }

        var items = first.Keys
            .Select(v => (Value: v, Bytes: Align(checked((long)Shape.Elements(graph.Values[v].RequireShape) * DataTypes.Size(graph.Values[v].Type))), First: first[v], Last: last[v]))
            .Concat(scratch.Select(s => (Value: s.Key, Bytes: Align(s.Bytes), First: s.Step, Last: s.Step)))
            .OrderByDescending(x => x.Bytes).ThenBy(x => x.First).ThenBy(x => x.Value, StringComparer.Ordinal)
            .ToList();
        var placed = new List<ArenaSlot>();
        long end = 0;
        foreach (var item in items)
        {
            ct.ThrowIfCancellationRequested();
            if (item.Bytes > int.MaxValue) throw new Diagnostics.CompileError(Diagnostics.DiagnosticDescriptors.LimitExceeded, $"tensor '{item.Value}' needs {item.Bytes} bytes; the arena is limited to 2 GiB");
            long offset = 0;
            foreach (var other in placed.Where(p => p.FirstStep <= item.Last && item.First <= p.LastStep).OrderBy(p => p.Offset))
            {
                if (offset + item.Bytes <= other.Offset) break;
                offset = Math.Max(offset, other.Offset + (long)other.Bytes);
            }
            var slot = new ArenaSlot(item.Value, checked((int)offset), (int)item.Bytes, item.First, item.Last);
            placed.Add(slot);
            plan.Slots[item.Value] = slot;
            end = Math.Max(end, offset + item.Bytes);
        }
        foreach (var s in scratch)
        {
            plan.Scratch[s.Node] = plan.Slots[s.Key] with { Bytes = checked((int)s.Bytes) };
            plan.Slots.Remove(s.Key);
        }
        plan.ArenaBytes = checked((int)end);
        plan.NoReuse = items.Sum(i => i.Bytes);
        // Bytes alive at each step by a sweep over lifetime starts and ends (linear, for graphs of any size).
        var change = new long[graph.Nodes.Count + 1];
        foreach (var p in placed)
        {
            change[p.FirstStep] += p.Bytes;
            change[p.LastStep + 1] -= p.Bytes;
        }
        long live = 0;
        foreach (var delta in change) plan.LowerBound = Math.Max(plan.LowerBound, live += delta);
        return plan;
    }

    /// <summary>The values a node reads: its inputs and the conditions of its guards (run-time If branches).</summary>
    private static IEnumerable<string> Reads(Node node) => node.Inputs.Concat(node.Guards.Select(g => g.Condition));

    /// <summary>Lets output 0 take the memory of the op's in-place input when that input (and everything aliasing it) is read for the last time here.</summary>
    private bool TryInPlace(Graph graph, Node node, Operator op, int step, Dictionary<string, int> first, Dictionary<string, int> lastUse, HashSet<string> outputs)
    {
        if (node.Outputs.Count != 1 || outputs.Contains(node.Outputs[0]) || graph.Values[node.Outputs[0]].Constant is not null) return false;
        int index = op.InPlaceInput(new OpContext(graph, node));
        if (index < 0 || !node.HasInput(index)) return false;
        var root = Root(node.Inputs[index]);
        if (!first.ContainsKey(root)) return false; // graph inputs, constants and outputs are not ours to overwrite
        if (_rootLastUse.TryGetValue(root, out var used) && used > step) return false;
        Alias(node.Outputs[0], node.Inputs[index], lastUse);
        InPlace.Add(node);
        return true;
    }

    /// <summary>The last step at which any value sharing a root's memory is read.</summary>
    private readonly Dictionary<string, int> _rootLastUse = new();

    private void Alias(string value, string source, Dictionary<string, int> lastUse)
    {
        Aliases[value] = Root(source); // point at the root: chains of in-place ops stay one hop deep
        var root = Root(source);
        int used = lastUse.TryGetValue(value, out var u) ? u : -1;
        _rootLastUse[root] = System.Math.Max(_rootLastUse.TryGetValue(root, out var r) ? r : -1, used);
    }

    /// <summary>Scratch slots are keyed by a name no ONNX value can have (it starts with a NUL).</summary>
    private static string ScratchKey(int step) => "\0scratch" + step.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static long Align(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;
}
