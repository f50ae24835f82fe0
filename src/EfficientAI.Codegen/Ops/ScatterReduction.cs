using System;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>The reduction attribute of ScatterND/ScatterElements (opset 16+: none, add, mul; 18+: max, min).</summary>
internal static class ScatterReduction
{
    public static string Kernel(OpContext ctx) => ctx.Str("reduction", "none") switch
    {
        "none" => "None",
        "add" => "Add",
        "mul" => "Mul",
        "max" => "Max",
        "min" => "Min",
        var r => throw ctx.Fail($"reduction '{r}' is not none, add, mul, max or min"),
    };

    public static double Apply(string kernel, double existing, double update) => kernel switch
    {
        "Add" => existing + update,
        "Mul" => existing * update,
        "Max" => Math.Max(existing, update),
        "Min" => Math.Min(existing, update),
        _ => update,
    };

    /// <summary>Scatter kernels need arithmetic element types.</summary>
    public static void RequireNumeric(OpContext ctx)
    {
        var type = ctx.Type(0);
        if (!(type is DataType.Float or DataType.Double || DataTypes.IsInteger(type)))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: {ctx.Node.OpType} on {DataTypes.Name(type)} is not supported at run time");
    }
}
