using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// A com.microsoft::MoE on int8 expert weights: inputs x, router
/// logits, fc1 int8 [E, inter, hidden], fc1 scales [E, inter], fc1 bias [E, inter], fc2 int8 [E, hidden, inter],
/// fc2 scales [E, hidden], fc2 bias [E, hidden] (biases optional); the MoE attributes. Each chosen expert quantizes its
/// input per call. Made by the Int8Quantization pass from an MoE, and by QMoE from its stored integers (no second rounding).
/// </summary>
internal sealed class QuantizedMoEOp : Operator
{
    public override string OpType => "QuantizedMoE";
    public override string Domain => QuantizedMatMulOp.OpDomain;

    private static MoEOp.Config Resolve(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var router = ctx.Shape(1);
        var fc1 = ctx.Shape(2);
        var fc2 = ctx.Shape(5);
        if (x.Length is not (2 or 3)) throw ctx.Fail($"input {Shape.Format(x)} must be [tokens, hidden] or [batch, sequence, hidden]");
        ctx.RequireFloat(0);
        ctx.RequireFloat(1);
        int hidden = x[x.Length - 1];
        if (fc1.Length != 3 || fc2.Length != 3 || fc1[2] != hidden)
            throw ctx.Fail($"int8 expert weights {Shape.Format(fc1)} and {Shape.Format(fc2)} do not match input {Shape.Format(x)}");
        int experts = fc1[0], inter = fc1[1];
        if (fc2[0] != experts || fc2[1] != hidden || fc2[2] != inter)
            throw ctx.Fail($"fc2 expert weights {Shape.Format(fc2)} must be [{experts}, {hidden}, {inter}] ([experts, out, in], ONNX Runtime's layout)");
        int tokens = hidden == 0 ? 0 : (int)(Shape.Elements(x) / hidden);
        if (router.Length != 2 || router[0] != tokens || router[1] != experts)
            throw ctx.Fail($"router_probs {Shape.Format(router)} must be [{tokens}, {experts}]");
        foreach (var (i, rows) in new[] { (3, inter), (4, inter), (6, hidden), (7, hidden) })
        {
            if (ctx.Has(i) && !Shape.Equal(ctx.Shape(i), new[] { experts, rows }))
                throw ctx.Fail($"input {i} {Shape.Format(ctx.Shape(i))} must be [{experts}, {rows}] (one value per expert and output row)");
        }
        if (!ctx.Has(3) || !ctx.Has(6)) throw ctx.Fail("the int8 experts' scales (inputs 3 and 6) are required");
        long k = ctx.Int("k", 1);
        if (k < 1 || k > experts) throw ctx.Fail($"k={k} must be between 1 and the number of experts ({experts})");
        var activation = ctx.Str("activation_type", "relu");
        if (activation is not ("relu" or "gelu" or "silu" or "identity" or "gelu_erf"))
            throw ctx.Fail($"activation_type '{activation}' is not relu, gelu, silu or identity (int8 experts)");
        return new MoEOp.Config(tokens, experts, (int)k, hidden, inter, activation, ctx.Int("normalize_routing_weights", 0) == 1);
    }

    public override void Infer(OpContext ctx)
    {
        Resolve(ctx);
        ctx.SetOutput(0, DataType.Float, ctx.Shape(0));
    }

    public override long Macs(OpContext ctx)
    {
        var c = Resolve(ctx);
        return 2L * c.Tokens * c.K * c.Hidden * c.Inter;
    }

    /// <summary>Must equal Runtime.MixtureOfExperts.ScratchFloatsInt8.</summary>
    public override long ScratchFloats(OpContext ctx)
    {
        var c = Resolve(ctx);
        long widest = System.Math.Max(c.Hidden, c.Inter);
        long gemmBytes = ((long)c.Tokens * ((widest + 3) & ~3L) + 63 & ~63L) + 4L * c.Tokens * widest;
        return c.Experts + 3L * c.Tokens * c.K + (long)c.Tokens * (2L * c.Hidden + c.Inter) + (gemmBytes + 3) / 4;
    }

    public override void Emit(EmitContext ctx)
    {
        var c = Resolve(ctx);
        var (fc1, fc1Sums) = Pack(ctx, 2, c.Experts, c.Hidden, c.Inter);
        var (fc2, fc2Sums) = Pack(ctx, 5, c.Experts, c.Inter, c.Hidden);
        string act = c.Activation switch { "relu" => "Relu", "gelu" => "Gelu", "silu" => "Silu", "gelu_erf" => "GeluErf", _ => "Identity" };
        ctx.W.Line($"global::EfficientAI.Runtime.MixtureOfExperts.ComputeInt8({ctx.In(0)}, {ctx.In(1)}, {fc1}, {fc1Sums}, {ctx.In(3)}, {Optional(ctx, 4)}, " +
            $"{fc2}, {fc2Sums}, {ctx.In(6)}, {Optional(ctx, 7)}, {ctx.Out(0)}, {ctx.Scratch}, " +
            $"{c.Tokens}, {c.Experts}, {c.K}, {c.Hidden}, {c.Inter}, global::EfficientAI.Runtime.ExpertActivation.{act}, {EmitContext.B(c.Normalize)});");
    }

    private static string Optional(EmitContext ctx, int input) => ctx.Has(input) ? ctx.In(input) : "default";

    /// <summary>
    /// Each expert's [out, in] int8 weights packed panel by panel (Runtime.Int8PanelGemm: sequential streams for the
    /// experts' one-pass reads) as the right operand of x[.., in] * W^T, and its column sums.
    /// </summary>
    private static (string Packed, string Sums) Pack(EmitContext ctx, int input, int experts, int inputs, int outputs)
    {
        var w = (sbyte[])ctx.Const(input)!.Data;
        int per = Int8Weights.PackedLength(inputs, outputs);
        var packed = new sbyte[checked(per * experts)];
        var sums = new int[experts * outputs];
        for (int e = 0; e < experts; e++) Int8Weights.PackPanels(w, e * inputs * outputs, true, inputs, outputs, packed, e * per, sums, e * outputs);
        return (ctx.ConstantTable(new Tensor(DataType.Int8, new[] { packed.Length }, packed), ctx.Node.Inputs[input] + "_packed"),
            ctx.ConstantTable(new Tensor(DataType.Int32, new[] { sums.Length }, sums), ctx.Node.Inputs[input] + "_sums"));
    }
}
