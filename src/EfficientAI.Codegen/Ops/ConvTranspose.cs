using System;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// ConvTranspose, any spatial rank: group, strides, dilations, explicit pads, auto_pad, output_padding and
/// output_shape (which decides the pads), kernel_shape inferred from W. The kernel (EfficientAI.Runtime.ConvTranspose)
/// is a GEMM per group into the node's scratch followed by col2im.
/// </summary>
internal sealed class ConvTransposeOp : Operator
{
    public override string OpType => "ConvTranspose";

    private sealed record Geometry(int Batch, int InChannels, int OutChannels, int Group, int[] In, int[] Out, int[] Kernel,
        int[] Strides, int[] PadBegin, int[] Dilations);

    private static Geometry Resolve(OpContext ctx)
    {
        ctx.RequireFloat(0);
        ctx.RequireFloat(1);
        var x = ctx.Shape(0);
        var w = ctx.Shape(1);
        if (x.Length < 3) throw ctx.Fail($"X {Shape.Format(x)} needs a batch, a channel and at least one spatial axis");
        if (w.Length != x.Length) throw ctx.Fail($"weight rank {w.Length} differs from input rank {x.Length}");
        int r = x.Length - 2;
        int group = (int)ctx.Int("group", 1);
        if (group <= 0 || x[1] % group != 0 || w[0] != x[1]) throw ctx.Fail($"W {Shape.Format(w)} and group {group} do not match {x[1]} input channels");
        int outChannels = checked(w[1] * group);
        if (ctx.Has(2) && Shape.Elements(ctx.Shape(2)) != outChannels) throw ctx.Fail($"bias has {Shape.Elements(ctx.Shape(2))} values, expected {outChannels}");
        var input = x.Skip(2).ToArray();
        var kernel = ctx.IntArray("kernel_shape") ?? w.Skip(2).ToArray();
        var strides = ctx.IntArray("strides") ?? Fill(r, 1);
        var dilations = ctx.IntArray("dilations") ?? Fill(r, 1);
        var outputPadding = ctx.IntArray("output_padding") ?? Fill(r, 0);
        var outputShape = ctx.IntArray("output_shape");
        if (outputShape is not null && outputShape.Length == r + 2) outputShape = outputShape.Skip(2).ToArray();
        if (kernel.Length != r || strides.Length != r || dilations.Length != r || outputPadding.Length != r || (outputShape is not null && outputShape.Length != r))
            throw ctx.Fail($"kernel_shape, strides, dilations, output_padding and output_shape must have {r} values");
        if (!kernel.SequenceEqual(w.Skip(2))) throw ctx.Fail($"kernel_shape [{string.Join(",", kernel)}] differs from W {Shape.Format(w)}");
        if (strides.Any(s => s <= 0) || dilations.Any(d => d <= 0)) throw ctx.Fail("strides and dilations must be positive");
        string autoPad = ctx.Str("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "" or "VALID" or "SAME_UPPER" or "SAME_LOWER")) throw ctx.Fail($"auto_pad '{autoPad}' is not valid");
        var pads = ctx.IntArray("pads");
        if (pads is not null && pads.Length != 2 * r) throw ctx.Fail($"pads must have {2 * r} values");

        var output = new int[r];
        var padBegin = new int[r];
        for (int i = 0; i < r; i++)
        {
            int natural = checked(strides[i] * (input[i] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1);
            if (outputShape is not null || autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                // The pads follow from the requested size; SAME_UPPER puts the odd one at the end.
                output[i] = outputShape is not null ? outputShape[i] : checked(input[i] * strides[i]);
                int total = Math.Max(0, natural - output[i]);
                padBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
            }
            else if (autoPad == "VALID" || pads is null)
            {
                output[i] = natural;
            }
            else
            {
                padBegin[i] = pads[i];
                output[i] = natural - pads[i] - pads[i + r];
            }
            if (output[i] <= 0) throw ctx.Fail($"output size {output[i]} on spatial axis {i} is not positive");
        }
        return new Geometry(x[0], x[1], outChannels, group, input, output, kernel, strides, padBegin, dilations);
    }

    private static int[] Fill(int n, int v) => Enumerable.Repeat(v, n).ToArray();

    public override void Infer(OpContext ctx)
    {
        var g = Resolve(ctx);
        ctx.SetOutput(0, DataType.Float, new[] { g.Batch, g.OutChannels }.Concat(g.Out).ToArray());
    }

    public override long ScratchFloats(OpContext ctx)
    {
        var g = Resolve(ctx);
        return (long)g.OutChannels / g.Group * Shape.Elements(g.Kernel) * Shape.Elements(g.In);
    }

    public override long Macs(OpContext ctx)
    {
        var g = Resolve(ctx);
        return (long)g.Batch * g.InChannels * (g.OutChannels / g.Group) * Shape.Elements(g.Kernel) * Shape.Elements(g.In);
    }

    public override void Emit(EmitContext ctx)
    {
        var g = Resolve(ctx);
        ctx.W.Line($"// ConvTranspose k[{string.Join("x", g.Kernel)}] s[{string.Join(",", g.Strides)}] [{g.Batch},{g.InChannels},{string.Join(",", g.In)}] -> [{g.Batch},{g.OutChannels},{string.Join(",", g.Out)}]");
        ctx.W.Line($"global::EfficientAI.Runtime.ConvTranspose.Compute({ctx.In(0)}, {ctx.In(1)}, {(ctx.Has(2) ? ctx.In(2) : "default")}, {ctx.Out(0)}, {ctx.Scratch}, " +
            $"{g.Batch}, {g.InChannels}, {g.OutChannels}, {g.Group}, {ctx.IntTable(g.In)}, {ctx.IntTable(g.Out)}, {ctx.IntTable(g.Kernel)}, " +
            $"{ctx.IntTable(g.Strides)}, {ctx.IntTable(g.PadBegin)}, {ctx.IntTable(g.Dilations)});");
    }
}
