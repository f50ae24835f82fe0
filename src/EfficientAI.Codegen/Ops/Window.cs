using System;

namespace EfficientAI.Codegen.Ops;

/// <summary>Geometry of sliding-window ops (Conv, pooling): kernel, strides, dilations, pads and output size per spatial axis.</summary>
internal sealed class Window
{
    public int[] Kernel = Array.Empty<int>();
    public int[] Strides = Array.Empty<int>();
    public int[] Dilations = Array.Empty<int>();
    public int[] PadBegin = Array.Empty<int>();
    public int[] PadEnd = Array.Empty<int>();
    public int[] Output = Array.Empty<int>();

    /// <summary>Resolves the window attributes of a node for the given input spatial sizes (auto_pad, ceil_mode included).</summary>
    public static Window Resolve(OpContext ctx, int[] input, int[] kernel, bool ceilMode = false)
    {
        int r = input.Length;
        var w = new Window
        {
            Kernel = kernel,
            Strides = ctx.IntArray("strides") ?? Fill(r, 1),
            Dilations = ctx.IntArray("dilations") ?? Fill(r, 1),
            PadBegin = new int[r],
            PadEnd = new int[r],
            Output = new int[r],
        };
        if (w.Strides.Length != r || w.Dilations.Length != r || kernel.Length != r)
            throw ctx.Fail($"kernel_shape, strides and dilations must have {r} values");
        foreach (var s in w.Strides) if (s <= 0) throw ctx.Fail("strides must be positive");
        foreach (var d in w.Dilations) if (d <= 0) throw ctx.Fail("dilations must be positive");
        var autoPad = ctx.Str("auto_pad", "NOTSET");
        var pads = ctx.IntArray("pads");
        for (int i = 0; i < r; i++)
        {
            int effective = checked(w.Dilations[i] * (kernel[i] - 1) + 1);
            switch (autoPad)
            {
                case "SAME_UPPER":
                case "SAME_LOWER":
                {
                    int outSize = (input[i] + w.Strides[i] - 1) / w.Strides[i];
                    int total = Math.Max(0, (outSize - 1) * w.Strides[i] + effective - input[i]);
                    w.PadBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                    w.PadEnd[i] = total - w.PadBegin[i];
                    w.Output[i] = outSize;
                    continue;
                }
                case "VALID":
                    break;
                case "NOTSET":
                case "":
                    if (pads is not null)
                    {
                        if (pads.Length != 2 * r) throw ctx.Fail($"pads must have {2 * r} values");
                        w.PadBegin[i] = pads[i];
                        w.PadEnd[i] = pads[i + r];
                    }
                    break;
                default:
                    throw ctx.Fail($"auto_pad '{autoPad}' is not valid");
            }
            long span = (long)input[i] + w.PadBegin[i] + w.PadEnd[i] - effective;
            if (span < 0) throw ctx.Fail($"the window ({effective}) is larger than the padded input ({input[i] + w.PadBegin[i] + w.PadEnd[i]}) on spatial axis {i}");
            long o = ceilMode ? (span + w.Strides[i] - 1) / w.Strides[i] + 1 : span / w.Strides[i] + 1;
            // ceil_mode: the last window must start inside the input or the left padding.
            if (ceilMode && (o - 1) * w.Strides[i] >= input[i] + w.PadBegin[i]) o--;
            w.Output[i] = checked((int)o);
        }
        return w;
    }

    private static int[] Fill(int n, int v)
    {
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = v;
        return a;
    }
}
