using System;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// com.microsoft::MoE as ONNX Runtime's CPU kernel defines it: input [tokens, hidden] (or [batch, seq, hidden]),
/// router_probs [tokens, E] (logits: the op applies the softmax), fc1_experts_weights [E, inter, hidden],
/// fc1_experts_bias [E, inter], fc2_experts_weights [E, hidden, inter], fc2_experts_bias [E, hidden]; attributes k,
/// activation_type (relu, gelu = tanh approximation, silu, identity, swiglu with swiglu_fusion=1; and gelu_erf,
/// exact GELU, which only the recognition pass sets) and normalize_routing_weights. Emitted as a
/// sparse dispatch (Runtime.MixtureOfExperts) that runs only the k chosen experts per token. The recognition pass
/// rewrites PyTorch's exports of the same layer into this node.
/// </summary>
internal sealed class MoEOp : Operator
{
    public override string OpType => "MoE";
    public override string Domain => "com.microsoft";

    internal readonly record struct Config(int Tokens, int Experts, int K, int Hidden, int Inter, string Activation, bool Normalize,
        float Alpha = 1f, float Beta = 0f, float Limit = float.PositiveInfinity)
    {
        /// <summary>swiglu: fc1 gives 2 inter values per token (gate and linear, interleaved).</summary>
        public bool Gated => Activation == "swiglu";
    }

    private static CompileError Unsupported(OpContext ctx, string what) =>
        new(DiagnosticDescriptors.MoeUnsupported, $"{ctx.Node.Display}: {what}");

    internal static Config Check(OpContext ctx)
    {
        var x = ctx.Shape(0);
        var router = ctx.Shape(1);
        var fc1 = ctx.Shape(2);
        if (!ctx.Has(4)) throw ctx.Fail("fc2_experts_weights (input 4) is required");
        var fc2 = ctx.Shape(4);
        for (int i = 0; i < ctx.InputCount && i < 6; i++)
            if (ctx.Has(i)) ctx.RequireFloat(i);
        if (x.Length is not (2 or 3)) throw ctx.Fail($"input {Shape.Format(x)} must be [tokens, hidden] or [batch, sequence, hidden]");
        int hidden = x[x.Length - 1];
        int tokens = hidden == 0 ? 0 : checked((int)(Shape.Elements(x) / hidden));
        if (router.Length != 2 || router[0] != tokens) throw ctx.Fail($"router_probs {Shape.Format(router)} must be [{tokens}, experts]");
        int experts = router[1];
        var activation = ctx.Str("activation_type", "relu");
        bool gated = activation == "swiglu";
        if (gated && ctx.Int("swiglu_fusion", 0) != 1)
            throw Unsupported(ctx, "activation_type=swiglu needs swiglu_fusion=1 (gate and linear rows interleaved in fc1), the only form ONNX Runtime's CPU kernel runs");
        if (fc1.Length != 3 || fc1[0] != experts || fc1[2] != hidden || (gated && fc1[1] % 2 != 0))
            throw ctx.Fail($"fc1_experts_weights {Shape.Format(fc1)} must be [{experts}, {(gated ? "2 x inter" : "inter")}, {hidden}] ([experts, out, in], ONNX Runtime's layout)");
        int inter = gated ? fc1[1] / 2 : fc1[1];
        if (fc2.Length != 3 || fc2[0] != experts || fc2[1] != hidden || fc2[2] != inter)
            throw ctx.Fail($"fc2_experts_weights {Shape.Format(fc2)} must be [{experts}, {hidden}, {inter}] ([experts, out, in], ONNX Runtime's layout)");
        if (ctx.Has(3) && !Shape.Equal(ctx.Shape(3), new[] { experts, fc1[1] })) throw ctx.Fail($"fc1_experts_bias {Shape.Format(ctx.Shape(3))} must be [{experts}, {fc1[1]}]");
        if (ctx.Has(5) && !Shape.Equal(ctx.Shape(5), new[] { experts, hidden })) throw ctx.Fail($"fc2_experts_bias {Shape.Format(ctx.Shape(5))} must be [{experts}, {hidden}]");
        if (ctx.Has(6) || ctx.Has(7)) throw Unsupported(ctx, "fc3 (a third expert layer) is not supported (ONNX Runtime's CPU kernel lacks it too); fold it into fc1 with activation_type=swiglu or remove it");
        long k = ctx.Int("k", 1);
        if (k < 1 || k > experts) throw ctx.Fail($"k={k} must be between 1 and the number of experts ({experts})");
        // gelu_erf is this compiler's own value (ONNX Runtime has none): MoeRecognition sets it for experts exported with
        // the erf GELU, which ONNX Runtime's gelu (the tanh approximation) would compute differently.
        if (activation is not ("relu" or "gelu" or "silu" or "identity" or "gelu_erf" or "swiglu")) throw ctx.Fail($"activation_type '{activation}' is not relu, gelu, silu, identity or swiglu");
        if (ctx.Int("use_sparse_mixer", 0) != 0) throw Unsupported(ctx, "use_sparse_mixer=1 is not supported; export with use_sparse_mixer=0");
        long normalize = ctx.Int("normalize_routing_weights", 0);
        if (normalize is not (0 or 1)) throw ctx.Fail($"normalize_routing_weights={normalize} must be 0 or 1");
        return new Config(tokens, experts, (int)k, hidden, inter, activation, normalize == 1,
            // ONNX Runtime 1.32's defaults (measured): plain SwiGLU, silu(gate) * linear.
            ctx.Float("activation_alpha", 1f), ctx.Float("activation_beta", 0f), ctx.Float("swiglu_limit", float.PositiveInfinity));
    }

    public override void Infer(OpContext ctx)
    {
        Check(ctx);
        ctx.SetOutput(0, DataType.Float, ctx.Shape(0));
    }

    /// <summary>Only the chosen experts run: k per token, two layers each.</summary>
    public override long Macs(OpContext ctx)
    {
        var c = Check(ctx);
        return (c.Gated ? 3L : 2L) * c.Tokens * c.K * c.Hidden * c.Inter; // swiglu: fc1 is twice as wide
    }

    /// <summary>Must equal Runtime.MixtureOfExperts.ScratchFloats.</summary>
    public override long ScratchFloats(OpContext ctx)
    {
        var c = Check(ctx);
        long routes = (long)c.Tokens * c.K;
        return 2L * c.Experts + 1 + 3 * routes + routes * (2L * c.Hidden + (c.Gated ? 2L : 1L) * c.Inter);
    }

    public override void Emit(EmitContext ctx)
    {
        var c = Check(ctx);
        foreach (int i in new[] { 2, 3, 4, 5 })
        {
            if (ctx.Has(i) && ctx.Const(i) is null)
                throw Unsupported(ctx, $"input {i} ('{ctx.Node.Inputs[i]}', expert weights) is computed at run time; the experts' weights must be initializers");
        }
        string fc1 = ctx.ConstantTable(PackExperts(ctx.Const(2)!, c.Experts, c.Hidden, c.Gated ? 2 * c.Inter : c.Inter), ctx.Node.Inputs[2] + "_packed");
        string fc2 = ctx.ConstantTable(PackExperts(ctx.Const(4)!, c.Experts, c.Inter, c.Hidden), ctx.Node.Inputs[4] + "_packed");
        string b1 = ctx.Has(3) ? ctx.In(3) : "default";
        string b2 = ctx.Has(5) ? ctx.In(5) : "default";
        string act = c.Activation switch { "relu" => "Relu", "gelu" => "Gelu", "silu" => "Silu", "gelu_erf" => "GeluErf", "swiglu" => "SwiGlu", _ => "Identity" };
        string swiglu = c.Gated ? $", {EmitContext.F(c.Alpha)}, {EmitContext.F(c.Beta)}, {(float.IsPositiveInfinity(c.Limit) ? "float.PositiveInfinity" : EmitContext.F(c.Limit))}" : "";
        ctx.W.Line($"global::EfficientAI.Runtime.MixtureOfExperts.Compute({ctx.In(0)}, {ctx.In(1)}, {fc1}, {b1}, {fc2}, {b2}, {ctx.Out(0)}, {ctx.Scratch}, " +
            $"{c.Tokens}, {c.Experts}, {c.K}, {c.Hidden}, {c.Inter}, global::EfficientAI.Runtime.ExpertActivation.{act}, {EmitContext.B(c.Normalize)}{swiglu}" +
            $"{(ThreadsFor(ctx) > 1 ? $", threads: {ThreadsFor(ctx)}" : "")});");
    }

    // Below this many MACs per call (the chosen experts' weights read once each at one token: 4 MB) waking a pool
    // worker costs more than the second core's share of the reads saves.
    private const long ParallelMinMacs = 1L << 20;

    private int ThreadsFor(OpContext ctx) => ctx.Graph.Threads > 1 && Macs(ctx) >= ParallelMinMacs ? ctx.Graph.Threads : 1;

    /// <summary>Per expert, its [out, in] weights packed as the right operand of x[.., in] * W^T, expert after expert.</summary>
    internal static Tensor PackExperts(Tensor weights, int experts, int inputs, int outputs)
    {
        var all = weights.ToFloats();
        int per = inputs * outputs;
        float[]? packed = null;
        for (int e = 0; e < experts; e++)
        {
            var slice = new float[per];
            Array.Copy(all, e * per, slice, 0, per);
            var p = PackedWeights.Pack(Tensor.FromFloats(new[] { outputs, inputs }, slice), inputs, outputs, transB: true, alpha: 1f).ToFloats();
            packed ??= new float[checked(p.Length * experts)];
            Array.Copy(p, 0, packed, e * p.Length, p.Length);
        }
        return Tensor.FromFloats(new[] { packed!.Length }, packed);
    }
}
