using System;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Reduce* ops: axes as attribute, or as input from opset 13 (ReduceSum) / 18 (the rest); keepdims; noop_with_empty_axes.</summary>
internal abstract class ReduceOperator : Operator
{
    /// <summary>The EfficientAI.Runtime.ReduceOp member.</summary>
    protected abstract string Kernel { get; }

    protected virtual int AxesInputSince => 18;

    /// <summary>Reduces the values of one output element (as doubles), for folding.</summary>
    protected abstract double Fold(double[] values);

    private bool[] Flags(OpContext ctx)
    {
        int rank = ctx.Rank(0);
        long[]? raw = ctx.Opset >= AxesInputSince ? (ctx.Has(1) ? ctx.RequireConst(1, "axes").ToLongs() : null) : ctx.Ints("axes");
        var flags = new bool[rank];
        if (raw is null || raw.Length == 0)
        {
            bool noop = ctx.Int("noop_with_empty_axes", 0) != 0;
            for (int i = 0; i < rank; i++) flags[i] = !noop;
        }
        else foreach (var a in raw) flags[Shape.Axis(a, rank)] = true;
        return flags;
    }

    public override void Infer(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var flags = Flags(ctx);
        bool keep = ctx.Int("keepdims", 1) != 0;
        var y = x.Select((d, i) => flags[i] ? (keep ? 1 : -1) : d).Where(d => d >= 0).ToArray();
        ctx.SetOutput(0, ctx.Type(0), y);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var x = ctx.Const(0)!;
        var flags = Flags(ctx);
        var shape = x.Shape;
        var kept = shape.Select((d, i) => flags[i] ? 1 : d).ToArray();
        var result = Tensor.Create(x.Type, ctx.Output(0).RequireShape);
        var groups = new System.Collections.Generic.List<double>[result.Length];
        for (int i = 0; i < groups.Length; i++) groups[i] = new();
        var keptStrides = Shape.Strides(kept).Select((s, i) => flags[i] ? 0 : s).ToArray();
        Elementwise.ForEachIndex(shape, Shape.Strides(shape), keptStrides, (_, src, dst) => groups[dst].Add(x.GetDouble(src)));
        for (int i = 0; i < groups.Length; i++) result.Set(i, Fold(groups[i].ToArray()));
        ctx.SetConst(0, result);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        if (ctx.Type(0) != DataType.Float)
        {
            EmitScalar(ctx);
            return;
        }
        var flags = Flags(ctx).Select(f => f ? 1 : 0).ToArray();
        ctx.W.Line($"global::EfficientAI.Runtime.Reduce.Compute(global::EfficientAI.Runtime.ReduceOp.{Kernel}, {ctx.In(0)}, {ctx.Out(0)}, {ctx.IntTable(ctx.Shape(0))}, {ctx.IntTable(flags)});");
    }

    /// <summary>Input elements above which the scalar fallback (double and integer inputs) refuses: its index table grows with the input.</summary>
    private const int ScalarFallbackLimit = 1 << 16;

    /// <summary>
    /// Double and integer inputs (the runtime kernels are float): a scalar loop per output element over a table of the input
    /// indices it reduces, accumulating in double (double input) or long (integers, wrapping like the element type).
    /// </summary>
    private void EmitScalar(EmitContext ctx)
    {
        var type = ctx.Type(0);
        bool isDouble = type == DataType.Double;
        if (!isDouble && !DataTypes.IsInteger(type))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {OpType} on {DataTypes.Name(type)} is not supported");
        if (!isDouble && Kernel is "L2" or "LogSum" or "LogSumExp")
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {OpType} on {DataTypes.Name(type)} is not supported (float and double only)");
        if (type == DataType.UInt64 && Kernel is "Max" or "Min")
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {OpType} on uint64 is not supported");
        var shape = ctx.Shape(0);
        int total = Shape.ElementsInt(shape);
        if (total > ScalarFallbackLimit)
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {OpType} on {DataTypes.Name(type)} is supported up to {ScalarFallbackLimit} input elements (float has no limit); this input has {total}");

        // Input indices grouped by output element, each group in row-major order.
        var flags = Flags(ctx);
        var kept = shape.Select((d, i) => flags[i] ? 1 : d).ToArray();
        int outCount = Shape.ElementsInt(kept);
        int group = outCount == 0 ? 0 : total / outCount;
        var keptStrides = Shape.Strides(kept).Select((st, i) => flags[i] ? 0 : st).ToArray();
        var fill = new int[outCount];
        var table = new int[total];
        Elementwise.ForEachIndex(shape, Shape.Strides(shape), keptStrides, (_, src, dst) => table[dst * group + fill[dst]++] = src);

        var t = DataTypes.CSharp(type);
        string acc = isDouble ? "double" : "long";
        string element = isDouble ? "eai_x[eai_indices[eai_r + eai_k]]" : "unchecked((long)eai_x[eai_indices[eai_r + eai_k]])";
        string n = group.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string inf = isDouble ? "double.PositiveInfinity" : $"{t}.MaxValue", negInf = isDouble ? "double.NegativeInfinity" : $"{t}.MinValue";
        var (init, combine, finish) = Kernel switch
        {
            "Sum" => ("0", "eai_a + eai_c", "eai_a"),
            "Mean" => ("0", "eai_a + eai_c", $"eai_a / {n}"),
            "Max" => (negInf, "global::System.Math.Max(eai_a, eai_c)", "eai_a"),
            "Min" => (inf, "global::System.Math.Min(eai_a, eai_c)", "eai_a"),
            "Prod" => ("1", "eai_a * eai_c", "eai_a"),
            "L1" => ("0", "eai_a + global::System.Math.Abs(eai_c)", "eai_a"),
            "L2" => ("0", "eai_a + eai_c * eai_c", "global::System.Math.Sqrt(eai_a)"),
            "SumSquare" => ("0", "eai_a + eai_c * eai_c", "eai_a"),
            "LogSum" => ("0", "eai_a + eai_c", "global::System.Math.Log(eai_a)"),
            "LogSumExp" => ("0", "eai_a + global::System.Math.Exp(eai_c - eai_d)", "global::System.Math.Log(eai_a) + eai_d"),
            _ => throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {OpType} on {DataTypes.Name(type)} is not supported"),
        };
        ctx.W.Open("");
        ctx.W.Line($"var eai_x = {ctx.In(0)}; var eai_y = {ctx.Out(0)}; var eai_indices = {ctx.IntTable(table)};");
        ctx.W.Open($"for (int eai_j = 0; eai_j < {outCount}; eai_j++)");
        ctx.W.Line($"int eai_r = eai_j * {n};");
        if (Kernel == "LogSumExp")
        {
            // Shift by the group's maximum so exp cannot overflow.
            ctx.W.Line("double eai_d = double.NegativeInfinity;");
            ctx.W.Line($"for (int eai_k = 0; eai_k < {n}; eai_k++) eai_d = global::System.Math.Max(eai_d, {element});");
            ctx.W.Line("if (double.IsInfinity(eai_d)) eai_d = 0;");
        }
        ctx.W.Line($"{acc} eai_a = {init};");
        ctx.W.Open($"for (int eai_k = 0; eai_k < {n}; eai_k++)");
        ctx.W.Line($"{acc} eai_c = {element};");
        ctx.W.Line($"eai_a = unchecked({combine});");
        ctx.W.Close();
        ctx.W.Line($"eai_y[eai_j] = unchecked(({t})({finish}));");
        ctx.W.Close();
        ctx.W.Close();
    }
}
