using System;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Concat along an axis: each input is a block of rows copied into the output.</summary>
internal sealed class ConcatOp : Operator
{
    public override string OpType => "Concat";

    public override void Infer(OpContext ctx)
    {
        var first = ctx.Shape(0);
        if (!ctx.HasAttr("axis") && ctx.Opset >= 4) throw ctx.Fail("axis is required");
        int axis = Shape.Axis(ctx.Int("axis", 1), first.Length);
        var shape = (int[])first.Clone();
        shape[axis] = 0;
        for (int i = 0; i < ctx.InputCount; i++)
        {
            if (!ctx.Has(i)) continue;
            var s = ctx.Shape(i);
            if (s.Length != first.Length || ctx.Type(i) != ctx.Type(0)) throw ctx.Fail($"input {i} {Shape.Format(s)} does not match {Shape.Format(first)}");
            for (int d = 0; d < s.Length; d++)
                if (d != axis && s[d] != first[d]) throw ctx.Fail($"input {i} {Shape.Format(s)} differs from {Shape.Format(first)} outside axis {axis}");
            shape[axis] = checked(shape[axis] + s[axis]);
        }
        ctx.SetOutput(0, ctx.Type(0), shape);
    }

    /// <summary>(outer rows, per input: (input index, row length, offset in output row), output row length).</summary>
    private static (int Outer, (int Input, int Length, int Offset)[] Parts, int Row) Layout(OpContext ctx)
    {
        var y = ctx.Output(0).RequireShape;
        int axis = Shape.Axis(ctx.Int("axis", 1), y.Length);
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer = checked(outer * y[d]);
        for (int d = axis + 1; d < y.Length; d++) inner = checked(inner * y[d]);
        var parts = new System.Collections.Generic.List<(int, int, int)>();
        int offset = 0;
        for (int i = 0; i < ctx.InputCount; i++)
        {
            if (!ctx.Has(i)) continue;
            int len = checked(ctx.Shape(i)[axis] * inner);
            parts.Add((i, len, offset));
            offset += len;
        }
        return (outer, parts.ToArray(), offset);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var (outer, parts, row) = Layout(ctx);
        var result = Tensor.Create(ctx.Output(0).Type, ctx.Output(0).RequireShape);
        foreach (var (input, len, offset) in parts)
        {
            var src = ctx.Const(input)!;
            for (int r = 0; r < outer; r++) Array.Copy(src.Data, r * len, result.Data, r * row + offset, len);
        }
        ctx.SetConst(0, result);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var (outer, parts, row) = Layout(ctx);
        foreach (var (input, len, offset) in parts)
        {
            if (len == 0) continue;
            // A constant of one repeated value (TensorFlow's channel padding: Concat with a folded ConstantOfShape)
            // is written with Fill rather than embedded: BlazeFace's zero blocks were 172 KB of weights.
            if (ctx.Const(input) is { Length: > 16 } splat && IsSplat(splat))
            {
                string value = EmitContext.Scalar(splat, 0);
                if (outer == 1) ctx.W.Line($"{ctx.Out(0)}.Slice({offset}, {len}).Fill({value});");
                else ctx.W.Line($"for (int eai_r = 0; eai_r < {outer}; eai_r++) {ctx.Out(0)}.Slice(eai_r * {row} + {offset}, {len}).Fill({value});");
                continue;
            }
            ctx.W.Line($"global::EfficientAI.Runtime.Layout.CopyRows({ctx.In(input)}, 0, {len}, {ctx.Out(0)}, {offset}, {row}, {outer}, {len});");
        }
    }

    /// <summary>True when every element has the first one's bits (so -0 and NaN payloads are kept exactly).</summary>
    private static bool IsSplat(Tensor t)
    {
        if (t.Type is DataType.Float or DataType.Double)
        {
            long first = BitConverter.DoubleToInt64Bits(t.GetDouble(0));
            for (int i = 1; i < t.Length; i++) if (BitConverter.DoubleToInt64Bits(t.GetDouble(i)) != first) return false;
            return true;
        }
        if (t.Type == DataType.UInt64) return System.Linq.Enumerable.All((ulong[])t.Data, v => v == ((ulong[])t.Data)[0]);
        long v0 = t.GetLong(0);
        for (int i = 1; i < t.Length; i++) if (t.GetLong(i) != v0) return false;
        return true;
    }
}
