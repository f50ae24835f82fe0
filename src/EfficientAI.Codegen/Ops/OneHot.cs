using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>OneHot with a constant depth: output is indices' shape with depth inserted at axis, filled with values[0] (off) and values[1] (on).</summary>
internal sealed class OneHotOp : Operator
{
    public override string OpType => "OneHot";

    private static (int Outer, int Depth, int Inner, int[] OutShape) Geometry(OpContext ctx)
    {
        var idx = ctx.Shape(0);
        var depthTensor = ctx.RequireConst(1, "depth");
        if (depthTensor.Length != 1) throw ctx.Fail("depth must hold one value");
        double depthValue = depthTensor.GetDouble(0);
        if (depthValue < 1 || depthValue > int.MaxValue) throw ctx.Fail($"depth {depthValue} must be positive");
        int depth = (int)depthValue;
        int axis = Shape.Axis(ctx.Int("axis", -1), idx.Length + 1);
        int outer = 1, inner = 1;
        for (int d = 0; d < idx.Length; d++) if (d < axis) outer = checked(outer * idx[d]); else inner = checked(inner * idx[d]);
        var outShape = idx.Take(axis).Concat(new[] { depth }).Concat(idx.Skip(axis)).ToArray();
        return (outer, depth, inner, outShape);
    }

    public override void Infer(OpContext ctx)
    {
        if (Shape.Elements(ctx.Shape(2)) != 2) throw ctx.Fail("values must hold two elements: [off, on]");
        ctx.SetOutput(0, ctx.Type(2), Geometry(ctx).OutShape);
    }

    public override bool TryEvaluate(OpContext ctx)
    {
        var (outer, depth, inner, outShape) = Geometry(ctx);
        var idx = ctx.Const(0)!;
        var values = ctx.Const(2)!;
        var map = new int[Shape.ElementsInt(outShape)];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                long k = (long)System.Math.Truncate(idx.GetDouble(o * inner + i));
                if (k < 0) k += depth;
                if (k >= 0 && k < depth) map[(o * depth + (int)k) * inner + i] = 1;
            }
        ctx.SetConst(0, TensorMoves.Take(values, outShape, o => map[o]));
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var type = ctx.Type(2);
        if (!DataTypes.IsRuntimeType(type) || !DataTypes.IsRuntimeType(ctx.Type(0)) || ctx.Type(0) == DataType.Bool)
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: OneHot of {DataTypes.Name(ctx.Type(0))} indices to {DataTypes.Name(type)} is not supported at run time");
        var (outer, depth, inner, _) = Geometry(ctx);
        ctx.W.Open("");
        ctx.W.Line($"var eai_x = {ctx.In(2)};");
        ctx.W.Line($"global::EfficientAI.Runtime.Scatter.OneHot<{DataTypes.CSharp(ctx.Type(0))}, {DataTypes.CSharp(type)}>({ctx.In(0)}, eai_x[0], eai_x[1], {ctx.Out(0)}, {outer}, {depth}, {inner});");
        ctx.W.Close();
    }
}
