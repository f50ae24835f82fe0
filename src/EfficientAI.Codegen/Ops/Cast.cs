using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>Cast between numeric and bool types (C semantics: float to int truncates).</summary>
internal sealed class CastOp : Operator
{
    public override string OpType => "Cast";

    private static DataType Target(OpContext ctx)
    {
        var to = (DataType)ctx.Int("to", 0);
        if (to is DataType.Float16 or DataType.BFloat16) to = DataType.Float; // half precision is computed in float
        if (!DataTypes.IsRuntimeType(to))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: cast to {DataTypes.Name(to)} is not supported");
        return to;
    }

    public override void Infer(OpContext ctx) => ctx.SetOutput(0, Target(ctx), ctx.Shape(0));

    public override bool TryEvaluate(OpContext ctx)
    {
        var x = ctx.Const(0)!;
        var y = Tensor.Create(Target(ctx), x.Shape);
        bool exactInt = DataTypes.IsInteger(x.Type) && DataTypes.IsInteger(y.Type);
        for (int i = 0; i < x.Length; i++)
            if (exactInt) y.SetLong(i, x.GetLong(i)); else y.Set(i, x.GetDouble(i));
        ctx.SetConst(0, y);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var from = ctx.Type(0);
        var to = Target(ctx);
        if (from == to)
        {
            ctx.W.Line($"{ctx.In(0)}.CopyTo({ctx.Out(0)});");
            return;
        }
        string expr = to == DataType.Bool ? "eai_x[eai_i] != 0"
            : from == DataType.Bool ? $"eai_x[eai_i] ? ({DataTypes.CSharp(to)})1 : ({DataTypes.CSharp(to)})0"
            : $"unchecked(({DataTypes.CSharp(to)})eai_x[eai_i])";
        ctx.W.Open("");
        ctx.W.Line($"var eai_x = {ctx.In(0)}; var eai_y = {ctx.Out(0)};");
        ctx.W.Line($"for (int eai_i = 0; eai_i < eai_y.Length; eai_i++) eai_y[eai_i] = {expr};");
        ctx.W.Close();
    }
}
