using System.Collections.Generic;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// com.microsoft::QMoE, the MoE on quantized expert weights as ONNX Runtime's CPU kernel reads them: inputs input,
/// router_probs, fc1_experts_weights (uint8 [E, inter, hidden / pack]), fc1_scales ([E, inter]), fc1_experts_bias,
/// fc2_experts_weights (uint8 [E, hidden, inter / pack]), fc2_scales ([E, hidden]), fc2_experts_bias; attribute
/// expert_weight_bits 8 (w = (q - 128) * scale) or 4 (two values per byte, low nibble first, w = (q - 8) * scale).
/// One scale per expert and output row (block_size 0), no zero-point inputs, no fc3. Routing weights are always the
/// softmax over the k chosen logits (ONNX Runtime's QMoE ignores normalize_routing_weights). The node becomes a
/// QuantizedMoE on the same integers (q - 128 or q - 8 as int8) and scales: int8 experts, whatever Quantize says.
/// </summary>
internal sealed class QMoEOp : Operator
{
    public override string OpType => "QMoE";
    public override string Domain => "com.microsoft";

    private static CompileError Unsupported(OpContext ctx, string what) =>
        new(DiagnosticDescriptors.MoeUnsupported, $"{ctx.Node.Display}: {what}");

    public override IReadOnlyList<Node>? Expand(OpContext ctx)
    {
        long bits = ctx.Int("expert_weight_bits", 4);
        if (bits is not (4 or 8)) throw Unsupported(ctx, $"expert_weight_bits={bits} is not supported; use 8 or 4");
        if (ctx.Int("block_size", 0) != 0) throw Unsupported(ctx, "block-wise scales (block_size > 0) are not supported; use one scale per output row");
        for (int i = 8; i < ctx.InputCount; i++)
            if (ctx.Has(i)) throw Unsupported(ctx, $"input {i} ('{ctx.Node.Inputs[i]}': fc3 or zero points) is not supported");
        if (ctx.Str("activation_type", "relu") == "swiglu") throw Unsupported(ctx, "activation_type=swiglu is supported for MoE, not yet for QMoE; use relu, gelu, silu or identity");
        if (ctx.Int("use_sparse_mixer", 0) != 0) throw Unsupported(ctx, "use_sparse_mixer=1 is not supported; export with use_sparse_mixer=0");
        var x = ctx.Shape(0);
        int hidden = x[x.Length - 1];
        var (fc1, fc1Scales) = Unpack(ctx, 2, 3, (int)bits, hidden);
        var (fc2, fc2Scales) = Unpack(ctx, 5, 6, (int)bits, fc1.Shape[1]);
        // The stored integers q - 128 (8-bit) or q - 8 (4-bit) and their scales are exactly the int8 experts'
        // symmetric weights: no second rounding. q - 128 reaches -128, which the int8 kernels take as any int8 weight
        // (VNNI's vpdpbusd sums u8 x s8 products in int32; the AVX-512/AVX2 paths widen to int16 before vpmaddwd).
        var moe = new Node("QuantizedMoE", QuantizedMatMulOp.OpDomain, ctx.Node.Name, 1) { Guards = ctx.Node.Guards };
        moe.Inputs.Add(ctx.Node.Inputs[0]);
        moe.Inputs.Add(ctx.Node.Inputs[1]);
        moe.Inputs.Add(Passes.GraphEdit.AddConstant(ctx.Graph, ctx.Node.Inputs[2] + "_int8", fc1));
        moe.Inputs.Add(fc1Scales);
        moe.Inputs.Add(ctx.Has(4) ? ctx.Node.Inputs[4] : "");
        moe.Inputs.Add(Passes.GraphEdit.AddConstant(ctx.Graph, ctx.Node.Inputs[5] + "_int8", fc2));
        moe.Inputs.Add(fc2Scales);
        moe.Inputs.Add(ctx.Has(7) ? ctx.Node.Inputs[7] : "");
        moe.Outputs.AddRange(ctx.Node.Outputs);
        foreach (var name in new[] { "k", "activation_type" })
            if (ctx.Attr(name) is { } a) moe.Attributes[name] = a;
        // ONNX Runtime's QMoE weighs the chosen experts by the softmax over their k logits whatever
        // normalize_routing_weights says: the normalized weights of MoE (measured against ONNX Runtime 1.32).
        moe.Attributes["normalize_routing_weights"] = new AttributeProto { Name = "normalize_routing_weights", Type = AttributeProto.Types.AttributeType.Int, I = 1 };
        if (!moe.Attributes.ContainsKey("activation_type"))
            moe.Attributes["activation_type"] = new AttributeProto { Name = "activation_type", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("relu") };
        moe.Fused.Add($"QMoE {bits}-bit weights as int8 experts (the same integers and scales)");
        ReportExperts(ctx, (int)bits, fc1.Shape[0], fc1.Shape[1], hidden);
        return new[] { moe };
    }

    /// <summary>
    /// One report row per expert, as Quantize="int8" gives an MoE's: its ROM as compiled (panel-packed int8 weights, column
    /// sums, float scales, biases), as stored in the model and as float weights, the bit width and the expert's scales. The
    /// weight SQNR is exact: the int8 weights are the stored integers, so they equal QMoE's own dequantized weights.
    /// </summary>
    private static void ReportExperts(OpContext ctx, int bits, int experts, int inter, int hidden)
    {
        var s1 = ctx.Const(3)!;
        var s2 = ctx.Const(6)!;
        var b1 = ctx.Has(4) ? ctx.Const(4) : null;
        var b2 = ctx.Has(7) ? ctx.Const(7) : null;
        long biasFloats = (b1 is null ? 0 : inter) + (b2 is null ? 0 : hidden);
        long biasStored = (b1 is null ? 0 : (long)inter * DataTypes.Size(b1.Type)) + (b2 is null ? 0 : (long)hidden * DataTypes.Size(b2.Type));
        long compiled = Int8Weights.PackedLength(hidden, inter) + Int8Weights.PackedLength(inter, hidden) + 4L * 2 * (inter + hidden) + 4L * biasFloats;
        long stored = 2L * hidden * inter * bits / 8 + (long)inter * DataTypes.Size(s1.Type) + (long)hidden * DataTypes.Size(s2.Type) + biasStored;
        long asFloat = 4L * (2L * hidden * inter + biasFloats);
        string N(long v) => v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        string integers = bits == 8 ? "q - 128" : "nibble - 8";
        var scales1 = s1.ToFloats();
        var scales2 = s2.ToFloats();
        for (int e = 0; e < experts; e++)
        {
            var expertScales = new float[inter + hidden];
            System.Array.Copy(scales1, e * inter, expertScales, 0, inter);
            System.Array.Copy(scales2, e * hidden, expertScales, inter, hidden);
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            foreach (var v in expertScales) { min = System.Math.Min(min, v); max = System.Math.Max(max, v); }
            ctx.Graph.Quantization.Add(new Passes.LayerQuantization($"{ctx.Node.Name} expert {e}", "QMoE expert", true,
                $"QMoE {bits}-bit fc1 + fc2 run as int8 ({integers}, the stored scales): {N(compiled)} B ROM per expert " +
                $"(stored {N(stored)} B, float {N(asFloat)} B); runs only when routed",
                expertScales.Length, min, max, double.PositiveInfinity));
        }
    }

    /// <summary>
    /// uint8 [E, out, in / pack] with scales [E, out] as int8 [E, out, in] (q - 128, or each nibble - 8) and the name
    /// of the float scales.
    /// </summary>
    private static (Tensor Weights, string Scales) Unpack(OpContext ctx, int weights, int scales, int bits, int inputs)
    {
        var q = ctx.Const(weights);
        var s = ctx.Const(scales);
        if (q is null || s is null) throw Unsupported(ctx, $"inputs {weights} and {scales} (quantized expert weights and scales) must be initializers");
        if (q.Type != DataType.UInt8) throw ctx.Fail($"input {weights} is {DataTypes.Name(q.Type)}; QMoE weights are uint8");
        int pack = 8 / bits;
        if (q.Shape.Length != 3 || q.Shape[2] * pack != inputs)
            throw ctx.Fail($"input {weights} {Shape.Format(q.Shape)} must be [experts, out, {inputs}/{pack}] ([experts, out, in], ONNX Runtime's layout)");
        int experts = q.Shape[0], outputs = q.Shape[1];
        if (!Shape.Equal(s.Shape, new[] { experts, outputs })) throw ctx.Fail($"input {scales} {Shape.Format(s.Shape)} must be [{experts}, {outputs}] (one scale per output row)");
        var bytes = (byte[])q.Data;
        var w = new sbyte[experts * outputs * inputs];
        for (int row = 0; row < experts * outputs; row++)
            for (int i = 0; i < inputs; i++)
            {
                int b = bytes[row * (inputs / pack) + i / pack];
                w[row * inputs + i] = (sbyte)(bits == 8 ? b - 128 : ((i % 2 == 0 ? b & 0xF : b >> 4) - 8));
            }
        string scaleName = s.Type == DataType.Float ? ctx.Node.Inputs[scales]
            : Passes.GraphEdit.AddConstant(ctx.Graph, ctx.Node.Inputs[scales] + "_float", Tensor.FromFloats(s.Shape, s.ToFloats()));
        return (new Tensor(DataType.Int8, new[] { experts, outputs, inputs }, w), scaleName);
    }

    public override void Infer(OpContext ctx) => throw ctx.Fail("QMoE is always expanded into QuantizedMoE");

    public override void Emit(Emit.EmitContext ctx) => throw ctx.Fail("QMoE is always expanded into QuantizedMoE");
}
