using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// A float MatMul/Gemm whose weights the Int8Quantization pass made int8 (Quantize="int8"): inputs a (float,
/// [..., k]), w (int8 [k, n], symmetric), w_scale (float [n]) and an optional float bias [n]; attributes x_scale
/// and x_zero_point give a's static quantization, or none for dynamic quantization on every call.
/// </summary>
internal sealed class QuantizedMatMulOp : Operator
{
    public const string OpDomain = "ai.efficientai";
    public override string OpType => "QuantizedMatMul";
    public override string Domain => OpDomain;

    private static (int M, int N, int K) Resolve(OpContext ctx)
    {
        var a = ctx.Shape(0);
        var w = ctx.Shape(1);
        int k = a[a.Length - 1];
        if (w.Length != 2 || w[0] != k) throw ctx.Fail($"weights {Shape.Format(w)} do not match input {Shape.Format(a)}");
        return (Shape.ElementsInt(a) / (k == 0 ? 1 : k), w[1], k);
    }

    public override void Infer(OpContext ctx)
    {
        var (_, n, _) = Resolve(ctx);
        var a = ctx.Shape(0);
        ctx.SetOutput(0, DataType.Float, a.Take(a.Length - 1).Concat(new[] { n }).ToArray());
    }

    public override long Macs(OpContext ctx)
    {
        var (m, n, k) = Resolve(ctx);
        return (long)m * n * k;
    }

    public override long ScratchFloats(OpContext ctx)
    {
        var (m, n, k) = Resolve(ctx);
        return Int8Operands.Floats(((long)m * k + 63 & ~63L) + 4L * m * n);
    }

    public override void Emit(EmitContext ctx)
    {
        var (m, n, k) = Resolve(ctx);
        var w = (sbyte[])ctx.Const(1)!.Data;
        var packed = new sbyte[Int8Weights.PackedLength(k, n)];
        var sums = new int[n];
        Int8Weights.Pack(w, 0, false, k, n, packed, 0, sums, 0);
        string packedName = ctx.ConstantTable(new Tensor(DataType.Int8, new[] { packed.Length }, packed), ctx.Node.Inputs[1] + "_packed");
        string sumsName = ctx.ConstantTable(new Tensor(DataType.Int32, new[] { n }, sums), ctx.Node.Inputs[1] + "_sums");
        // A float bias is added after scaling; an int32 one (static quantization) to the int32 sums.
        bool intBias = ctx.Has(3) && ctx.Type(3) == DataType.Int32;
        string bias = ctx.Has(3) && !intBias ? ctx.In(3) : "default";
        ctx.W.Line($"{Int8Operands.Runtime}Int8Ops.FloatMatMul({ctx.In(0)}, {EmitContext.F(ctx.Float("x_scale", 0f))}, {EmitContext.I(ctx.Int("x_zero_point", 0))}, " +
            $"{packedName}, {sumsName}, {ctx.In(2)}, {bias}, {ctx.Out(0)}, {Int8Operands.ScratchBytes(ctx)}, {m}, {n}, {k}{(intBias ? ", " + ctx.In(3) : "")});");
        ctx.EmitActivation(ctx.Out(0)); // an activation fused into the float op before it was quantized
    }
}
