using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>EyeLike: a 2-D tensor of the input's shape with ones on diagonal k; dtype (default: the input's type).</summary>
internal sealed class EyeLikeOp : Operator
{
    public override string OpType => "EyeLike";

    private static DataType Target(OpContext ctx)
    {
        var type = ctx.HasAttr("dtype") ? (DataType)ctx.Int("dtype", 0) : ctx.Type(0);
        if (!DataTypes.IsRuntimeType(type))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: EyeLike of {DataTypes.Name(type)} is not supported");
        return type;
    }

    public override void Infer(OpContext ctx)
    {
        var x = ctx.Shape(0);
        if (x.Length != 2) throw ctx.Fail($"input must be 2-D, not rank {x.Length}");
        ctx.SetOutput(0, Target(ctx), x);
    }

    // The values never depend on the input's data, only on its (static) shape.
    public override bool TryEvaluate(OpContext ctx)
    {
        var x = ctx.Shape(0);
        long k = ctx.Int("k", 0);
        var y = Tensor.Create(Target(ctx), x);
        for (int i = 0; i < x[0]; i++)
            if (i + k >= 0 && i + k < x[1]) y.SetLong(i * x[1] + (int)(i + k), 1);
        ctx.SetConst(0, y);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var x = ctx.Shape(0);
        var type = Target(ctx);
        if (type == DataType.Bool)
        {
            ctx.W.Line($"{ctx.Out(0)}.Clear();");
            ctx.W.Line($"for (int eai_i = 0; eai_i < {x[0]}; eai_i++) {{ long eai_j = eai_i + {EmitContext.I(ctx.Int("k", 0))}; if (eai_j >= 0 && eai_j < {x[1]}) {ctx.Out(0)}[eai_i * {x[1]} + (int)eai_j] = true; }}");
            return;
        }
        ctx.W.Line($"global::EfficientAI.Runtime.Layout.Eye<{DataTypes.CSharp(type)}>({ctx.Out(0)}, {x[0]}, {x[1]}, {EmitContext.I(ctx.Int("k", 0))});");
    }
}
