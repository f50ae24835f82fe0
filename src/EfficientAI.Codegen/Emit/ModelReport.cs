using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Ops;

namespace EfficientAI.Codegen.Emit;

/// <summary>
/// Where one tensor a layer produces lives: its own arena slot, the arena slot of the input it overwrites (in-place),
/// the caller's output span, or nowhere of its own (a view: no code, its input's memory).
/// </summary>
internal sealed record LayerOutput(string Name, string DataType, EquatableArray<int> Shape, string Storage, int ArenaOffset, int ArenaBytes)
{
    public const string Arena = "arena", InPlace = "in-place", Output = "output", View = "view", Constant = "constant";
}

/// <summary>One emitted node: what it computes, what it costs, where its outputs live.</summary>
internal sealed record LayerReport(int Step, string Name, string Op, EquatableArray<string> Fused, EquatableArray<LayerOutput> Outputs, long Macs, long WeightBytes);

/// <summary>
/// The build report of a compiled model: per layer the op, output shapes, MACs, embedded weight bytes and arena
/// placement, and the totals (ROM = embedded weights, RAM = the arena, and the arena's lower bound and
/// no-reuse size). Built from the graph, memory plan and figures the emitter used, so it states exactly what
/// the build does. Value-equal, with writers for text, JSON, Markdown and HTML (invariant culture).
/// </summary>
internal sealed record ModelReport(
    string Model,
    string ClassName,
    EquatableArray<LayerReport> Layers,
    long Macs,
    long WeightBytes,
    int ArenaBytes,
    long ArenaLowerBound,
    long ArenaNoReuse,
    long InputBytes,
    long OutputBytes,
    EquatableArray<Passes.LayerQuantization> Quantization = default,
    EquatableArray<Passes.LayerPruning> Pruning = default)
{
    public static readonly string[] Formats = { "text", "json", "md", "html" };

    /// <summary>Per step (layer), the bytes of arena slots (tensors and scratch) alive at that step: what the arena chart plots.</summary>
    public EquatableArray<long> ArenaLive { get; init; } = EquatableArray<long>.Empty;

    /// <summary>Per step, the end of the highest arena slot alive at that step (offset + size).</summary>
    public EquatableArray<long> ArenaHighWater { get; init; } = EquatableArray<long>.Empty;

    /// <summary>ROM the model adds: its embedded weights.</summary>
    public long RomBytes => WeightBytes;

    /// <summary>RAM one inference needs besides the caller's input and output spans: the arena.</summary>
    public long RamBytes => ArenaBytes;

    /// <param name="weightBytesByNode">Bytes of embedded weights each node added, as the emitter counted them (shared tensors count once, at their first user).</param>
    public static ModelReport Build(Graph graph, MemoryPlan plan, ModelFigures figures, string model, string className, IReadOnlyDictionary<Node, long> weightBytesByNode)
    {
        var graphOutputs = new HashSet<string>(graph.Outputs);
        var layers = new List<LayerReport>();
        for (int step = 0; step < graph.Nodes.Count; step++)
        {
            var node = graph.Nodes[step];
            bool view = plan.Views.Contains(node);
            var op = OperatorRegistry.Find(node.Domain, node.OpType);
            long macs = view || op is null ? 0 : op.Macs(new OpContext(graph, node));
            var outputs = node.Outputs.Where(o => o.Length > 0).Select(o =>
            {
                var v = graph.Values[o];
                var shape = (v.Shape ?? Array.Empty<int>()).ToEquatableArray();
                if (view) return new LayerOutput(o, DataTypes.Name(v.Type), shape, LayerOutput.View, -1, 0);
                if (plan.Slots.TryGetValue(o, out var slot)) return new LayerOutput(o, DataTypes.Name(v.Type), shape, LayerOutput.Arena, slot.Offset, slot.Bytes);
                if (plan.Slots.TryGetValue(plan.Root(o), out var shared)) return new LayerOutput(o, DataTypes.Name(v.Type), shape, LayerOutput.InPlace, shared.Offset, shared.Bytes);
                var storage = graphOutputs.Contains(o) ? LayerOutput.Output : v.Constant is not null ? LayerOutput.Constant : LayerOutput.Arena;
                return new LayerOutput(o, DataTypes.Name(v.Type), shape, storage, -1, 0);
            }).ToEquatableArray();
            layers.Add(new LayerReport(step, node.Name, node.OpType, node.Fused.ToEquatableArray(), outputs, macs,
                weightBytesByNode.TryGetValue(node, out var w) ? w : 0));
        }
        long Bytes(IEnumerable<string> names) => names.Select(n => graph.Values[n]).Sum(v => Shape.Elements(v.RequireShape) * DataTypes.Size(v.Type));
        var slots = plan.Slots.Values.Concat(plan.Scratch.Values).ToList();
        var live = new long[graph.Nodes.Count];
        var high = new long[graph.Nodes.Count];
        foreach (var slot in slots)
            for (int step = Math.Max(0, slot.FirstStep); step <= slot.LastStep && step < live.Length; step++)
            {
                live[step] += slot.Bytes;
                high[step] = Math.Max(high[step], (long)slot.Offset + slot.Bytes);
            }
        return new ModelReport(model, className, layers.ToEquatableArray(), figures.Macs, figures.WeightBytes, figures.ArenaBytes,
            figures.ArenaLowerBound, figures.ArenaNoReuse, Bytes(graph.Inputs), Bytes(graph.Outputs.Distinct()), graph.Quantization.ToEquatableArray(),
            SparseMarked(graph).ToEquatableArray())
        {
            ArenaLive = live.ToEquatableArray(),
            ArenaHighWater = high.ToEquatableArray(),
        };
    }

    /// <summary>The pruning records, each marked with whether the emitter put its node on a sparse kernel.</summary>
    private static List<Passes.LayerPruning> SparseMarked(Graph graph)
    {
        var records = graph.Pruning.ToList();
        foreach (var entry in graph.PruningIndex)
            if (graph.SparseKernels.ContainsKey(entry.Key)) records[entry.Value] = records[entry.Value] with { SparseKernel = true };
        return records;
    }

    /// <summary>The report in one of <see cref="Formats"/>.</summary>
    public string Write(string format) => format switch
    {
        "text" => ToText(),
        "json" => ToJson(),
        "md" => ToMarkdown(),
        "html" => ToHtml(),
        _ => throw new ArgumentException($"unknown report format '{format}' (expected {string.Join(", ", Formats)})", nameof(format)),
    };

    private static readonly string[] s_columns = { "#", "op", "node", "output shape", "MACs", "weights (B)", "arena offset", "arena (B)", "fused" };
    private static readonly bool[] s_rightAligned = { true, false, false, false, true, true, true, true, false };

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>The cells of one layer row, as the text, Markdown and HTML tables show them.</summary>
    private static string[] Cells(LayerReport l)
    {
        var arena = l.Outputs.Where(o => o.Storage == LayerOutput.Arena && o.ArenaOffset >= 0).ToList();
        string Placement(LayerOutput o) =>
            o.Storage == LayerOutput.Arena && o.ArenaOffset >= 0 ? N(o.ArenaOffset)
            : o.Storage == LayerOutput.InPlace ? N(o.ArenaOffset) + " (in place)"
            : o.Storage;
        return new[]
        {
            I(l.Step), l.Op, l.Name, string.Join(" ", l.Outputs.Select(o => Shape.Format(o.Shape.ToArray()))),
            N(l.Macs), N(l.WeightBytes), string.Join(" ", l.Outputs.Select(Placement)), N(arena.Sum(o => (long)o.ArenaBytes)), string.Join(" + ", l.Fused),
        };
    }

    private IEnumerable<string> TotalLines() => new[]
    {
        $"ROM (embedded weights): {N(RomBytes)} B",
        $"RAM (arena): {N(RamBytes)} B (lower bound {N(ArenaLowerBound)} B, no reuse {N(ArenaNoReuse)} B); inputs {N(InputBytes)} B and outputs {N(OutputBytes)} B are the caller's",
        $"MACs per inference: {N(Macs)}",
    };

    private static readonly string[] s_quantColumns = { "node", "op", "precision", "weight scales (min..max)", "weight SQNR", "activation scale (zero point)", "output SQNR", "why" };

    private static string Db(double v) => double.IsNaN(v) ? "" : double.IsPositiveInfinity(v) ? "exact" : v.ToString("F1", CultureInfo.InvariantCulture) + " dB";

    /// <summary>Quantize="int8": per Conv/Gemm/MatMul what it runs in, its weight scales and SQNR, and why a layer stayed float.</summary>
    private IEnumerable<string[]> QuantizationRows() => Quantization.Select(q => new[]
    {
        q.Node, q.OpType, q.Quantized ? "int8" : "float",
        q.Channels == 0 ? "" : q.MinWeightScale.ToString("G4", CultureInfo.InvariantCulture) + ".." + q.MaxWeightScale.ToString("G4", CultureInfo.InvariantCulture) + $" ({I(q.Channels)} channels)",
        Db(q.WeightSqnrDb),
        q.InputScale == 0f ? (q.Quantized ? "per call" : "") : q.InputScale.ToString("G4", CultureInfo.InvariantCulture) + $" ({I(q.InputZeroPoint)})",
        Db(q.OutputSqnrDb), q.Reason,
    });

    private static readonly string[] s_pruneColumns = { "node", "op", "weight", "sparsity", "zero weights", "output channels", "kernel", "note" };

    /// <summary>Prune/PruneStructured: per Conv/Gemm/MatMul the fraction of zero weights, the channels kept and removed, and why a layer was left alone.</summary>
    private IEnumerable<string[]> PruningRows() => Pruning.Select(p => new[]
    {
        p.Node, p.OpType, p.Weight, (100 * p.Sparsity).ToString("F1", CultureInfo.InvariantCulture) + "%", N(p.Zeros) + " / " + N(p.Weights),
        p.ChannelsRemoved > 0 ? $"{I(p.Channels)} ({I(p.ChannelsRemoved)} removed)" : I(p.Channels), p.SparseKernel ? "sparse" : "dense", p.Note,
    });

    public string ToText()
    {
        var rows = Layers.Select(Cells).ToList();
        var widths = s_columns.Select((c, i) => Math.Max(c.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        string Row(string[] cells) => string.Join("  ", cells.Select((c, i) => s_rightAligned[i] ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd();
        var sb = new StringBuilder();
        sb.Append(Model).Append(" -> ").Append(ClassName).Append(": ").Append(I(Layers.Length)).Append(" layers\n");
        sb.Append(Row(s_columns)).Append('\n');
        foreach (var r in rows) sb.Append(Row(r)).Append('\n');
        foreach (var line in TotalLines()) sb.Append(line).Append('\n');
        if (Quantization.Length > 0)
        {
            sb.Append("Quantization:\n");
            foreach (var r in QuantizationRows()) sb.Append("  ").Append(string.Join("  ", r.Where(c => c.Length > 0))).Append('\n');
        }
        if (Pruning.Length > 0)
        {
            sb.Append("Pruning:\n");
            foreach (var r in PruningRows()) sb.Append("  ").Append(string.Join("  ", r.Where(c => c.Length > 0))).Append('\n');
        }
        return sb.ToString();
    }

    public string ToMarkdown()
    {
        static string Cell(string s) => s.Replace("|", "\\|");
        var sb = new StringBuilder();
        sb.Append("# ").Append(Cell(Model)).Append(" -> `").Append(ClassName).Append("`\n\n");
        sb.Append("| ").Append(string.Join(" | ", s_columns)).Append(" |\n");
        sb.Append("|").Append(string.Concat(s_rightAligned.Select(r => r ? "---:|" : "---|"))).Append('\n');
        foreach (var l in Layers) sb.Append("| ").Append(string.Join(" | ", Cells(l).Select(Cell))).Append(" |\n");
        sb.Append('\n');
        foreach (var line in TotalLines()) sb.Append("- ").Append(line).Append('\n');
        if (Quantization.Length > 0)
        {
            sb.Append("\n## Quantization\n\n| ").Append(string.Join(" | ", s_quantColumns)).Append(" |\n|---|---|---|---|---:|---|---:|---|\n");
            foreach (var r in QuantizationRows()) sb.Append("| ").Append(string.Join(" | ", r.Select(Cell))).Append(" |\n");
        }
        if (Pruning.Length > 0)
        {
            sb.Append("\n## Pruning\n\n| ").Append(string.Join(" | ", s_pruneColumns)).Append(" |\n|---|---|---|---:|---:|---:|---|---|\n");
            foreach (var r in PruningRows()) sb.Append("| ").Append(string.Join(" | ", r.Select(Cell))).Append(" |\n");
        }
        return sb.ToString();
    }

    public string ToHtml()
    {
        static string E(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(E(Model)).Append(" report</title>\n");
        sb.Append("<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}td.n{text-align:right;font-variant-numeric:tabular-nums}</style>\n");
        sb.Append("</head>\n<body>\n<h1>").Append(E(Model)).Append(" &rarr; <code>").Append(E(ClassName)).Append("</code></h1>\n<table>\n<tr>");
        foreach (var c in s_columns) sb.Append("<th>").Append(E(c)).Append("</th>");
        sb.Append("</tr>\n");
        foreach (var l in Layers)
        {
            sb.Append("<tr>");
            var cells = Cells(l);
            for (int i = 0; i < cells.Length; i++) sb.Append(s_rightAligned[i] ? "<td class=\"n\">" : "<td>").Append(E(cells[i])).Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</table>\n<ul>\n");
        foreach (var line in TotalLines()) sb.Append("<li>").Append(E(line)).Append("</li>\n");
        sb.Append("</ul>\n");
        if (Quantization.Length > 0)
        {
            sb.Append("<h2>Quantization</h2>\n<table>\n<tr>");
            foreach (var c in s_quantColumns) sb.Append("<th>").Append(E(c)).Append("</th>");
            sb.Append("</tr>\n");
            foreach (var r in QuantizationRows()) sb.Append("<tr>").Append(string.Concat(r.Select(c => "<td>" + E(c) + "</td>"))).Append("</tr>\n");
            sb.Append("</table>\n");
        }
        if (Pruning.Length > 0)
        {
            sb.Append("<h2>Pruning</h2>\n<table>\n<tr>");
            foreach (var c in s_pruneColumns) sb.Append("<th>").Append(E(c)).Append("</th>");
            sb.Append("</tr>\n");
            foreach (var r in PruningRows()) sb.Append("<tr>").Append(string.Concat(r.Select(c => "<td>" + E(c) + "</td>"))).Append("</tr>\n");
            sb.Append("</table>\n");
        }
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>One JSON object: totals, then every layer with its outputs. Byte figures are plain integers.</summary>
    public string ToJson()
    {
        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append("  \"model\": ").Append(Json(Model)).Append(",\n");
        sb.Append("  \"className\": ").Append(Json(ClassName)).Append(",\n");
        sb.Append("  \"romBytes\": ").Append(I(RomBytes)).Append(",\n");
        sb.Append("  \"ramBytes\": ").Append(I(RamBytes)).Append(",\n");
        sb.Append("  \"arenaBytes\": ").Append(I(ArenaBytes)).Append(",\n");
        sb.Append("  \"arenaLowerBound\": ").Append(I(ArenaLowerBound)).Append(",\n");
        sb.Append("  \"arenaNoReuse\": ").Append(I(ArenaNoReuse)).Append(",\n");
        sb.Append("  \"weightBytes\": ").Append(I(WeightBytes)).Append(",\n");
        sb.Append("  \"inputBytes\": ").Append(I(InputBytes)).Append(",\n");
        sb.Append("  \"outputBytes\": ").Append(I(OutputBytes)).Append(",\n");
        sb.Append("  \"macs\": ").Append(I(Macs)).Append(",\n");
        sb.Append("  \"layers\": [");
        for (int i = 0; i < Layers.Length; i++)
        {
            var l = Layers[i];
            sb.Append(i == 0 ? "\n" : ",\n");
            sb.Append("    { \"step\": ").Append(I(l.Step)).Append(", \"op\": ").Append(Json(l.Op)).Append(", \"name\": ").Append(Json(l.Name))
              .Append(", \"macs\": ").Append(I(l.Macs)).Append(", \"weightBytes\": ").Append(I(l.WeightBytes))
              .Append(", \"fused\": [").Append(string.Join(", ", l.Fused.Select(Json))).Append("], \"outputs\": [");
            sb.Append(string.Join(", ", l.Outputs.Select(o =>
                "{ \"name\": " + Json(o.Name) + ", \"dataType\": " + Json(o.DataType) + ", \"shape\": [" + string.Join(", ", o.Shape.Select(d => I(d))) +
                "], \"storage\": " + Json(o.Storage) + ", \"arenaOffset\": " + I(o.ArenaOffset) + ", \"arenaBytes\": " + I(o.ArenaBytes) + " }")));
            sb.Append("] }");
        }
        sb.Append(Layers.Length == 0 ? "]" : "\n  ]");
        if (Quantization.Length > 0)
        {
            string Num(double v) => double.IsNaN(v) || double.IsInfinity(v) ? "null" : v.ToString("R", CultureInfo.InvariantCulture);
            sb.Append(",\n  \"quantization\": [");
            for (int i = 0; i < Quantization.Length; i++)
            {
                var q = Quantization[i];
                sb.Append(i == 0 ? "\n" : ",\n").Append("    { \"name\": ").Append(Json(q.Node)).Append(", \"op\": ").Append(Json(q.OpType))
                  .Append(", \"precision\": ").Append(Json(q.Quantized ? "int8" : "float")).Append(", \"channels\": ").Append(I(q.Channels))
                  .Append(", \"minWeightScale\": ").Append(Num(q.MinWeightScale)).Append(", \"maxWeightScale\": ").Append(Num(q.MaxWeightScale))
                  .Append(", \"weightSqnrDb\": ").Append(Num(q.WeightSqnrDb))
                  .Append(", \"inputScale\": ").Append(q.InputScale == 0f ? "null" : Num(q.InputScale)).Append(", \"inputZeroPoint\": ").Append(q.InputScale == 0f ? "null" : I(q.InputZeroPoint))
                  .Append(", \"outputSqnrDb\": ").Append(Num(q.OutputSqnrDb)).Append(", \"reason\": ").Append(Json(q.Reason)).Append(" }");
            }
            sb.Append("\n  ]");
        }
        if (Pruning.Length > 0)
        {
            sb.Append(",\n  \"pruning\": [");
            for (int i = 0; i < Pruning.Length; i++)
            {
                var p = Pruning[i];
                sb.Append(i == 0 ? "\n" : ",\n").Append("    { \"name\": ").Append(Json(p.Node)).Append(", \"op\": ").Append(Json(p.OpType))
                  .Append(", \"weight\": ").Append(Json(p.Weight)).Append(", \"weights\": ").Append(I(p.Weights)).Append(", \"zeros\": ").Append(I(p.Zeros))
                  .Append(", \"channels\": ").Append(I(p.Channels)).Append(", \"channelsRemoved\": ").Append(I(p.ChannelsRemoved))
                  .Append(", \"kernel\": ").Append(Json(p.SparseKernel ? "sparse" : "dense"))
                  .Append(", \"note\": ").Append(Json(p.Note)).Append(" }");
            }
            sb.Append("\n  ]");
        }
        sb.Append("\n}\n");
        return sb.ToString();
    }

    private static string Json(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var ch in s)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (ch < 0x20) sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(ch);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
