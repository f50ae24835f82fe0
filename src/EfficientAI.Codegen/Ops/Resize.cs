using System;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Resize (opset 10-19): nearest (any axes, every nearest_mode) and linear (the last two axes), with the
/// half_pixel, pytorch_half_pixel, align_corners and asymmetric coordinate rules, from constant scales or sizes.
/// Coordinates are computed in float as ONNX Runtime does and become index/weight tables at compile time.
/// Cubic, tf_crop_and_resize, antialias and keep_aspect_ratio_policy are refused with a diagnostic.
/// </summary>
internal sealed class ResizeOp : Operator
{
    public override string OpType => "Resize";

    private sealed record Plan(string Mode, string Coordinates, string Nearest, int[] InShape, int[] OutShape, float[] Scales);

    private static Plan Resolve(OpContext ctx)
    {
        var x = ctx.Shape(0);
        int rank = x.Length;
        string mode = ctx.Str("mode", "nearest");
        string coordinates = ctx.Opset < 11 ? "asymmetric" : ctx.Str("coordinate_transformation_mode", "half_pixel");
        string nearest = ctx.Opset < 11 ? "simple" : ctx.Str("nearest_mode", "round_prefer_floor");
        if (mode is not ("nearest" or "linear"))
            throw Unsupported(ctx, $"mode '{mode}' (supported: nearest, linear)");
        if (coordinates is not ("half_pixel" or "pytorch_half_pixel" or "align_corners" or "asymmetric"))
            throw Unsupported(ctx, $"coordinate_transformation_mode '{coordinates}' (supported: half_pixel, pytorch_half_pixel, align_corners, asymmetric)");
        if (nearest is not ("simple" or "round_prefer_floor" or "round_prefer_ceil" or "floor" or "ceil"))
            throw ctx.Fail($"nearest_mode '{nearest}' is not valid");
        if (ctx.Int("antialias", 0) != 0) throw Unsupported(ctx, "antialias=1");
        if (ctx.Str("keep_aspect_ratio_policy", "stretch") != "stretch") throw Unsupported(ctx, $"keep_aspect_ratio_policy '{ctx.Str("keep_aspect_ratio_policy", "")}'");

        var axes = ctx.IntArray("axes")?.Select(a => Shape.Axis(a, rank)).ToArray() ?? Enumerable.Range(0, rank).ToArray();
        int scalesInput = ctx.Opset < 11 ? 1 : 2;
        float[]? scales = null;
        long[]? sizes = null;
        if (ctx.Has(scalesInput))
        {
            var t = ctx.RequireConst(scalesInput, "scales");
            if (t.Length > 0) scales = t.ToFloats();
        }
        if (ctx.Opset >= 11 && ctx.Has(3))
        {
            var t = ctx.RequireConst(3, "sizes");
            if (t.Length > 0) sizes = t.ToLongs();
        }
        if ((scales is null) == (sizes is null)) throw ctx.Fail("exactly one of scales and sizes must be given");
        if ((scales?.Length ?? sizes!.Length) != axes.Length)
            throw ctx.Fail($"{(scales is null ? "sizes" : "scales")} has {(scales?.Length ?? sizes!.Length)} values for {axes.Length} axes");

        var outShape = (int[])x.Clone();
        var axisScales = Enumerable.Repeat(1f, rank).ToArray();
        for (int i = 0; i < axes.Length; i++)
        {
            int a = axes[i];
            if (scales is not null)
            {
                if (!(scales[i] > 0)) throw ctx.Fail($"scale {scales[i]} on axis {a} must be positive");
                axisScales[a] = scales[i];
                outShape[a] = checked((int)(scales[i] * x[a])); // float product truncated, as ONNX Runtime
            }
            else
            {
                if (sizes![i] <= 0) throw ctx.Fail($"size {sizes[i]} on axis {a} must be positive");
                outShape[a] = checked((int)sizes[i]);
                axisScales[a] = (float)outShape[a] / x[a];
            }
        }
        if (mode == "linear")
            for (int a = 0; a < rank - 2; a++)
                if (outShape[a] != x[a])
                    throw Unsupported(ctx, $"linear resizing of axis {a} of {Shape.Format(x)} (only the last two axes are interpolated)");
        return new Plan(mode, coordinates, nearest, x, outShape, axisScales);
    }

    private static CompileError Unsupported(OpContext ctx, string what) =>
        new(DiagnosticDescriptors.UnsupportedOp, new[] { "Resize", $"{ctx.Node.Display}: {what} is not supported" });

    public override void Infer(OpContext ctx)
    {
        var plan = Resolve(ctx);
        if (plan.Mode == "linear") ctx.RequireFloat(0);
        ctx.SetOutput(0, ctx.Type(0), plan.OutShape);
    }

    /// <summary>
    /// The input coordinate of output index <paramref name="i"/> on one axis, in float. The resized length is
    /// inSize * scale, unrounded, as the ONNX reference defines it (it differs from the output size when scales
    /// do not divide evenly).
    /// </summary>
    private static float Source(string rule, int i, float scale, int inSize)
    {
        float resizedLength = inSize * scale;
        return rule switch
        {
            "half_pixel" => (i + 0.5f) / scale - 0.5f,
            "pytorch_half_pixel" => resizedLength > 1 ? (i + 0.5f) / scale - 0.5f : 0f,
            "align_corners" => resizedLength == 1 ? 0f : i * (float)(inSize - 1) / (resizedLength - 1),
            _ => i / scale,
        };
    }

    private static int NearestIndex(string rule, float v, bool downsampling) => rule switch
    {
        "round_prefer_floor" => v == (float)Math.Floor(v) + 0.5f ? (int)Math.Floor(v) : (int)Math.Round(v, MidpointRounding.AwayFromZero),
        "round_prefer_ceil" => (int)Math.Round(v, MidpointRounding.AwayFromZero),
        "floor" => (int)Math.Floor(v),
        "ceil" => (int)Math.Ceiling(v),
        _ => downsampling ? (int)Math.Ceiling(v) : (int)v, // opset 10 "simple"
    };

    public override bool TryEvaluate(OpContext ctx) => false;

    public override void Emit(EmitContext ctx)
    {
        var p = Resolve(ctx);
        int rank = p.InShape.Length;
        if (p.Mode == "nearest")
        {
            var sources = new int[p.OutShape.Sum()];
            int k = 0;
            for (int a = 0; a < rank; a++)
                for (int i = 0; i < p.OutShape[a]; i++)
                {
                    int s = p.OutShape[a] == p.InShape[a] && p.Scales[a] == 1f ? i
                        : NearestIndex(p.Nearest, Source(p.Coordinates, i, p.Scales[a], p.InShape[a]), p.Scales[a] < 1f);
                    sources[k++] = Math.Max(0, Math.Min(s, p.InShape[a] - 1));
                }
            ctx.W.Line($"global::EfficientAI.Runtime.Resize.Nearest({ctx.In(0)}, {ctx.Out(0)}, {ctx.IntTable(p.InShape)}, {ctx.IntTable(p.OutShape)}, {ctx.IntTable(sources)});");
            return;
        }

        int inH = rank >= 2 ? p.InShape[rank - 2] : 1, outH = rank >= 2 ? p.OutShape[rank - 2] : 1;
        int inW = rank >= 1 ? p.InShape[rank - 1] : 1, outW = rank >= 1 ? p.OutShape[rank - 1] : 1;
        float scaleH = rank >= 2 ? p.Scales[rank - 2] : 1f, scaleW = rank >= 1 ? p.Scales[rank - 1] : 1f;
        int planes = Shape.ElementsInt(p.InShape) / Math.Max(1, inH * inW);
        var (rows, rowWeights) = Taps(p.Coordinates, scaleH, inH, outH);
        var (cols, colWeights) = Taps(p.Coordinates, scaleW, inW, outW);
        ctx.W.Line($"global::EfficientAI.Runtime.Resize.Linear({ctx.In(0)}, {ctx.Out(0)}, {planes}, {inH}, {inW}, {outH}, {outW}, " +
            $"{ctx.IntTable(rows)}, {ctx.ConstantTable(Tensor.FromFloats(new[] { rowWeights.Length }, rowWeights), "resize_rows")}, " +
            $"{ctx.IntTable(cols)}, {ctx.ConstantTable(Tensor.FromFloats(new[] { colWeights.Length }, colWeights), "resize_cols")});");
    }

    /// <summary>Two taps per output index: the clamped input coordinate's floor and the next index, weighted by distance.</summary>
    private static (int[] Index, float[] Weight) Taps(string rule, float scale, int inSize, int outSize)
    {
        var index = new int[2 * outSize];
        var weight = new float[2 * outSize];
        for (int i = 0; i < outSize; i++)
        {
            float v = inSize == outSize && scale == 1f ? i : Source(rule, i, scale, inSize);
            v = Math.Max(0f, Math.Min(v, inSize - 1));
            int lo = Math.Min((int)v, inSize - 1), hi = Math.Min(lo + 1, inSize - 1);
            float wHi = Math.Abs(v - lo), wLo = Math.Abs(v - hi);
            if (lo == hi) wLo = wHi = 0.5f;
            index[2 * i] = lo;
            index[2 * i + 1] = hi;
            weight[2 * i] = wLo;
            weight[2 * i + 1] = wHi;
        }
        return (index, weight);
    }
}
