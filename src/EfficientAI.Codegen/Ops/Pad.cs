using System;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Pad (constant, reflect, edge, wrap): pads as attribute before opset 11, constant input from 11, axes from 18.</summary>
internal sealed class PadOp : Operator
{
    public override string OpType => "Pad";

    internal static (int[] Pads, string Mode, double Value) Resolve(OpContext ctx)
    {
        int rank = ctx.Rank(0);
        string mode = ctx.Str("mode", "constant");
        long[] raw;
        double value = 0;
        int[]? axes = null;
        if (ctx.Opset < 11)
        {
            raw = ctx.Ints(ctx.Opset < 2 ? "paddings" : "pads") ?? throw ctx.Fail("pads is required");
            value = ctx.Float("value", 0f);
        }
        else
        {
            raw = ctx.RequireConst(1, "pads").ToLongs();
            if (ctx.Has(2)) value = ctx.RequireConst(2, "constant value").GetDouble(0);
            if (ctx.Has(3)) axes = ctx.RequireConst(3, "axes").ToLongs().Select(a => Shape.Axis(a, rank)).ToArray();
        }
        axes ??= Enumerable.Range(0, rank).ToArray();
        if (raw.Length != 2 * axes.Length) throw ctx.Fail($"pads has {raw.Length} values; expected {2 * axes.Length}");
        var pads = new int[2 * rank];
        for (int i = 0; i < axes.Length; i++)
        {
            pads[axes[i]] = checked((int)raw[i]);
            pads[axes[i] + rank] = checked((int)raw[i + axes.Length]);
        }
        if (mode is not ("constant" or "reflect" or "edge" or "wrap")) throw ctx.Fail($"mode '{mode}' is not valid");
        return (pads, mode, value);
    }

    public override void Infer(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var (pads, mode, _) = Resolve(ctx);
        var y = new int[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = checked(x[i] + pads[i] + pads[i + x.Length]);
            if (y[i] < 0) throw ctx.Fail($"pads crop axis {i} below zero");
            if (mode == "reflect" && (pads[i] >= x[i] || pads[i + x.Length] >= x[i]) && (pads[i] > 0 || pads[i + x.Length] > 0))
                throw ctx.Fail($"reflect padding of {Math.Max(pads[i], pads[i + x.Length])} needs more than that many elements on axis {i} (has {x[i]})");
        }
        ctx.SetOutput(0, ctx.Type(0), y);
    }

    /// <summary>Pads a constant input at compile time, with the kernel's source-index rules (constant folding, calibration).</summary>
    public override bool TryEvaluate(OpContext ctx)
    {
        var x = ctx.Const(0)!;
        var (pads, mode, value) = Resolve(ctx);
        var inShape = x.Shape;
        int rank = inShape.Length;
        var outShape = ctx.Output(0).RequireShape;
        var result = Tensor.Create(x.Type, outShape);
        var inStrides = Shape.Strides(inShape);
        var index = new int[rank];
        bool empty = x.Length == 0;
        for (int o = 0; o < result.Length; o++)
        {
            int source = 0;
            for (int d = 0; d < rank && source >= 0; d++)
            {
                int i = SourceIndex(index[d] - pads[d], inShape[d], mode);
                source = i < 0 ? -1 : source + i * inStrides[d];
            }
            if (empty || source < 0) result.Set(o, value);
            else Array.Copy(x.Data, source, result.Data, o, 1);
            for (int d = rank - 1; d >= 0 && ++index[d] == outShape[d]; d--) index[d] = 0;
        }
        ctx.SetConst(0, result);
        return true;
    }

    /// <summary>The input index an output index i - pad reads on an axis of n elements, or -1 for the constant value.</summary>
    private static int SourceIndex(int i, int n, string mode)
    {
        if ((uint)i < (uint)n) return i;
        switch (mode)
        {
            case "edge": return i < 0 ? 0 : n - 1;
            case "reflect":
                if (n == 1) return 0;
                int period = 2 * (n - 1);
                int m = ((i % period) + period) % period;
                return m < n ? m : period - m;
            case "wrap": return ((i % n) + n) % n;
            default: return -1;
        }
    }

    public override void Emit(EmitContext ctx)
    {
        var (pads, mode, value) = Resolve(ctx);
        var type = ctx.Type(0);
        string v = type == DataType.Float ? EmitContext.F((float)value) : $"({DataTypes.CSharp(type)}){Literal.Int((long)value)}";
        string m = char.ToUpperInvariant(mode[0]) + mode.Substring(1);
        ctx.W.Line($"global::EfficientAI.Runtime.Layout.Pad({ctx.In(0)}, {ctx.Out(0)}, {ctx.IntTable(ctx.Shape(0))}, {ctx.IntTable(pads)}, global::EfficientAI.Runtime.PadMode.{m}, {v});");
    }
}
