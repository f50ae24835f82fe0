using System;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Resize (opset 10-19) and Upsample (opset 7-9, Resize-10 semantics): nearest (any axes, every nearest_mode), linear
/// and cubic (cubic_coeff_a, exclude_outside; the last two axes), with the half_pixel, pytorch_half_pixel,
/// align_corners, asymmetric, tf_half_pixel_for_nn and tf_crop_and_resize (linear and cubic; constant roi, extrapolation_value) coordinate rules, from
/// constant scales or sizes. Coordinates are computed in float as ONNX Runtime does and become index/weight tables
/// at compile time. Antialias and keep_aspect_ratio_policy are refused with a diagnostic.
/// </summary>
internal sealed class ResizeOp : Operator
{
    public override string OpType => "Resize";

    private sealed record Plan(string Mode, string Coordinates, string Nearest, int[] InShape, int[] OutShape, float[] Scales,
        float[] RoiStart, float[] RoiEnd, float CubicA, bool ExcludeOutside, float Extrapolation);

    private static Plan Resolve(OpContext ctx)
    {
        var x = ctx.Shape(0);
        int rank = x.Length;
        bool upsample = ctx.Node.OpType == "Upsample";
        bool legacy = upsample || ctx.Opset < 11;
        string mode = ctx.Str("mode", "nearest");
        if (mode == "bilinear") mode = "linear"; // Upsample-1's name for it
        string coordinates = legacy ? "asymmetric" : ctx.Str("coordinate_transformation_mode", "half_pixel");
        string nearest = legacy ? "simple" : ctx.Str("nearest_mode", "round_prefer_floor");
        if (mode is not ("nearest" or "linear" or "cubic"))
            throw Unsupported(ctx, $"mode '{mode}' (supported: nearest, linear, cubic)");
        if (coordinates is not ("half_pixel" or "pytorch_half_pixel" or "align_corners" or "asymmetric" or "tf_crop_and_resize" or "tf_half_pixel_for_nn"))
            throw Unsupported(ctx, $"coordinate_transformation_mode '{coordinates}' (supported: half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_crop_and_resize, tf_half_pixel_for_nn)");
        if (nearest is not ("simple" or "round_prefer_floor" or "round_prefer_ceil" or "floor" or "ceil"))
            throw ctx.Fail($"nearest_mode '{nearest}' is not valid");
        if (ctx.Int("antialias", 0) != 0) throw Unsupported(ctx, "antialias=1");
        if (ctx.Str("keep_aspect_ratio_policy", "stretch") != "stretch") throw Unsupported(ctx, $"keep_aspect_ratio_policy '{ctx.Str("keep_aspect_ratio_policy", "")}'");

        var axes = ctx.IntArray("axes")?.Select(a => Shape.Axis(a, rank)).ToArray() ?? Enumerable.Range(0, rank).ToArray();
        int scalesInput = legacy ? 1 : 2;
        float[]? scales = null;
        long[]? sizes = null;
        if (upsample && ctx.Opset < 9) scales = ctx.Floats("scales") ?? throw ctx.Fail("the scales attribute is required");
        else if (ctx.Has(scalesInput))
        {
            var t = ctx.RequireConst(scalesInput, "scales");
            if (t.Length > 0) scales = t.ToFloats();
        }
        if (!legacy && ctx.Has(3))
        {
            var t = ctx.RequireConst(3, "sizes");
            if (t.Length > 0) sizes = t.ToLongs();
        }
        if ((scales is null) == (sizes is null)) throw ctx.Fail("exactly one of scales and sizes must be given");
        if ((scales?.Length ?? sizes!.Length) != axes.Length)
            throw ctx.Fail($"{(scales is null ? "sizes" : "scales")} has {(scales?.Length ?? sizes!.Length)} values for {axes.Length} axes");

        // tf_crop_and_resize samples the region of interest [start, end] (fractions of each axis) instead of the whole axis.
        var roiStart = new float[rank];
        var roiEnd = Enumerable.Repeat(1f, rank).ToArray();
        if (coordinates == "tf_crop_and_resize")
        {
            var roi = ctx.Has(1) ? ctx.RequireConst(1, "roi").ToFloats() : Array.Empty<float>();
            if (roi.Length != 2 * axes.Length) throw ctx.Fail($"roi has {roi.Length} values; tf_crop_and_resize needs {2 * axes.Length} (starts, then ends)");
            for (int i = 0; i < axes.Length; i++)
            {
                roiStart[axes[i]] = roi[i];
                roiEnd[axes[i]] = roi[i + axes.Length];
            }
        }

        var outShape = (int[])x.Clone();
        var axisScales = Enumerable.Repeat(1f, rank).ToArray();
        for (int i = 0; i < axes.Length; i++)
        {
            int a = axes[i];
            if (scales is not null)
            {
                if (!(scales[i] > 0)) throw ctx.Fail($"scale {scales[i]} on axis {a} must be positive");
                axisScales[a] = scales[i];
                outShape[a] = checked((int)(scales[i] * x[a])); // float product truncated (roi or not), as ONNX Runtime
            }
            else
            {
                if (sizes![i] <= 0) throw ctx.Fail($"size {sizes[i]} on axis {a} must be positive");
                outShape[a] = checked((int)sizes[i]);
                axisScales[a] = (float)outShape[a] / x[a];
            }
            if (outShape[a] <= 0) throw ctx.Fail($"the output size on axis {a} is not positive");
        }
        if (mode == "nearest" && coordinates == "tf_crop_and_resize")
            throw Unsupported(ctx, $"{mode} with tf_crop_and_resize");
        if (mode != "nearest")
            for (int a = 0; a < rank - 2; a++)
                if (outShape[a] != x[a] || (coordinates == "tf_crop_and_resize" && (roiStart[a] != 0f || roiEnd[a] != 1f)))
                    throw Unsupported(ctx, $"{mode} resizing of axis {a} of {Shape.Format(x)} (only the last two axes are interpolated)");
        return new Plan(mode, coordinates, nearest, x, outShape, axisScales, roiStart, roiEnd,
            ctx.Float("cubic_coeff_a", -0.75f), ctx.Int("exclude_outside", 0) != 0, ctx.Float("extrapolation_value", 0f));
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
    private static float Source(string rule, int i, float scale, int inSize, int outSize = 0, float roiStart = 0f, float roiEnd = 1f)
    {
        float resizedLength = inSize * scale;
        return rule switch
        {
            "half_pixel" => (i + 0.5f) / scale - 0.5f,
            "tf_half_pixel_for_nn" => (i + 0.5f) / scale,
            "pytorch_half_pixel" => resizedLength > 1 ? (i + 0.5f) / scale - 0.5f : 0f,
            "align_corners" => resizedLength == 1 ? 0f : i * (float)(inSize - 1) / (resizedLength - 1),
            "tf_crop_and_resize" => outSize > 1
                ? roiStart * (inSize - 1) + i * (roiEnd - roiStart) * (inSize - 1) / (outSize - 1)
                : 0.5f * (roiStart + roiEnd) * (inSize - 1),
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

    /// <summary>Nearest: per axis, per output index, the input index it copies (the kernel's table, axes one after another).</summary>
    private static int[] NearestSources(Plan p)
    {
        var sources = new int[p.OutShape.Sum()];
        int k = 0;
        for (int a = 0; a < p.InShape.Length; a++)
            for (int i = 0; i < p.OutShape[a]; i++)
            {
                int s = p.OutShape[a] == p.InShape[a] && p.Scales[a] == 1f ? i
                    : NearestIndex(p.Nearest, Source(p.Coordinates, i, p.Scales[a], p.InShape[a]), p.Scales[a] < 1f);
                sources[k++] = Math.Max(0, Math.Min(s, p.InShape[a] - 1));
            }
        return sources;
    }

    /// <summary>
    /// Resizes a constant input at compile time from the same tables the kernels read (constant folding, and
    /// calibration's compile-time run of decoders that upsample): nearest copies, linear/cubic sum the separable
    /// taps of the last two axes in double.
    /// </summary>
    public override bool TryEvaluate(OpContext ctx)
    {
        var p = Resolve(ctx);
        var x = ctx.Const(0)!;
        int rank = p.InShape.Length;
        var result = Tensor.Create(x.Type, p.OutShape);
        if (result.Length == 0 || rank == 0)
        {
            if (rank == 0) Array.Copy(x.Data, result.Data, 1);
            ctx.SetConst(0, result);
            return true;
        }
        if (p.Mode == "nearest")
        {
            var sources = NearestSources(p);
            var inStrides = Shape.Strides(p.InShape);
            var index = new int[rank];
            for (int o = 0; o < result.Length; o++)
            {
                int source = 0, start = 0;
                for (int d = 0; d < rank; d++)
                {
                    source += sources[start + index[d]] * inStrides[d];
                    start += p.OutShape[d];
                }
                Array.Copy(x.Data, source, result.Data, o, 1);
                for (int d = rank - 1; d >= 0 && ++index[d] == p.OutShape[d]; d--) index[d] = 0;
            }
            ctx.SetConst(0, result);
            return true;
        }
        if (x.Type != DataType.Float) return false;
        int inH = rank >= 2 ? p.InShape[rank - 2] : 1, outH = rank >= 2 ? p.OutShape[rank - 2] : 1;
        int inW = p.InShape[rank - 1], outW = p.OutShape[rank - 1];
        int planes = Shape.ElementsInt(p.InShape) / Math.Max(1, inH * inW), taps = p.Mode == "cubic" ? 4 : 2;
        var (rows, rowWeights) = Taps(p, rank - 2, inH, outH);
        var (cols, colWeights) = Taps(p, rank - 1, inW, outW);
        var xf = x.ToFloats();
        var y = (float[])result.Data;
        for (int plane = 0; plane < planes; plane++)
            for (int i = 0; i < outH; i++)
                for (int j = 0; j < outW; j++)
                {
                    int at = (plane * outH + i) * outW + j;
                    if (rows[taps * i] < 0 || cols[taps * j] < 0)
                    {
                        y[at] = p.Extrapolation;
                        continue;
                    }
                    double sum = 0;
                    for (int a = 0; a < taps; a++)
                    {
                        double rowSum = 0;
                        for (int b = 0; b < taps; b++) rowSum += (double)colWeights[taps * j + b] * xf[(plane * inH + rows[taps * i + a]) * inW + cols[taps * j + b]];
                        sum += rowWeights[taps * i + a] * rowSum;
                    }
                    y[at] = (float)sum;
                }
        ctx.SetConst(0, result);
        return true;
    }

    public override void Emit(EmitContext ctx)
    {
        var p = Resolve(ctx);
        int rank = p.InShape.Length;
        if (p.Mode == "nearest")
        {
            var sources = NearestSources(p);
            ctx.W.Line($"global::EfficientAI.Runtime.Resize.Nearest({ctx.In(0)}, {ctx.Out(0)}, {ctx.IntTable(p.InShape)}, {ctx.IntTable(p.OutShape)}, {ctx.IntTable(sources)});");
            return;
        }

        int inH = rank >= 2 ? p.InShape[rank - 2] : 1, outH = rank >= 2 ? p.OutShape[rank - 2] : 1;
        int inW = rank >= 1 ? p.InShape[rank - 1] : 1, outW = rank >= 1 ? p.OutShape[rank - 1] : 1;
        int planes = Shape.ElementsInt(p.InShape) / Math.Max(1, inH * inW);
        var (rows, rowWeights) = Taps(p, rank - 2, inH, outH);
        var (cols, colWeights) = Taps(p, rank - 1, inW, outW);
        string tables = $"{ctx.IntTable(rows)}, {ctx.ConstantTable(Tensor.FromFloats(new[] { rowWeights.Length }, rowWeights), "resize_rows")}, " +
            $"{ctx.IntTable(cols)}, {ctx.ConstantTable(Tensor.FromFloats(new[] { colWeights.Length }, colWeights), "resize_cols")}";
        if (p.Mode == "linear" && p.Coordinates != "tf_crop_and_resize")
            ctx.W.Line($"global::EfficientAI.Runtime.Resize.Linear({ctx.In(0)}, {ctx.Out(0)}, {planes}, {inH}, {inW}, {outH}, {outW}, {tables});");
        else
            ctx.W.Line($"global::EfficientAI.Runtime.Resize.Separable({ctx.In(0)}, {ctx.Out(0)}, {planes}, {inH}, {inW}, {outH}, {outW}, " +
                $"{(p.Mode == "cubic" ? 4 : 2)}, {tables}, {EmitContext.F(p.Extrapolation)});");
    }

    /// <summary>
    /// Taps per output index on one axis (-1 for the last two when rank is lower): linear two (the clamped coordinate's
    /// floor and the next index, weighted by distance), cubic four (floor-1 .. floor+2 with the cubic_coeff_a kernel,
    /// clamped to the edge or, with exclude_outside, dropped and the rest renormalized). With tf_crop_and_resize a
    /// coordinate outside the input gets index -1: the kernel writes extrapolation_value there.
    /// </summary>
    private static (int[] Index, float[] Weight) Taps(Plan p, int axis, int inSize, int outSize)
    {
        int taps = p.Mode == "cubic" ? 4 : 2;
        float scale = axis >= 0 ? p.Scales[axis] : 1f;
        var index = new int[taps * outSize];
        var weight = new float[taps * outSize];
        for (int i = 0; i < outSize; i++)
        {
            // An axis that keeps its size maps straight through, region of interest or not, as in ONNX Runtime.
            float v = axis < 0 || (inSize == outSize && scale == 1f) ? i
                : Source(p.Coordinates, i, scale, inSize, outSize, p.RoiStart[axis], p.RoiEnd[axis]);
            if (p.Coordinates == "tf_crop_and_resize" && (v < 0f || v > inSize - 1))
            {
                for (int t = 0; t < taps; t++) index[taps * i + t] = -1;
                continue;
            }
            if (taps == 2)
            {
                v = Math.Max(0f, Math.Min(v, inSize - 1));
                int lo = Math.Min((int)v, inSize - 1), hi = Math.Min(lo + 1, inSize - 1);
                float wHi = Math.Abs(v - lo), wLo = Math.Abs(v - hi);
                if (lo == hi) wLo = wHi = 0.5f;
                index[2 * i] = lo;
                index[2 * i + 1] = hi;
                weight[2 * i] = wLo;
                weight[2 * i + 1] = wHi;
                continue;
            }
            int floor = (int)Math.Floor(v);
            float s = Math.Abs(v - floor), a = p.CubicA;
            var c = new[]
            {
                ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a,
                ((a + 2) * s - (a + 3)) * s * s + 1,
                ((a + 2) * (1 - s) - (a + 3)) * (1 - s) * (1 - s) + 1,
                ((a * (2 - s) - 5 * a) * (2 - s) + 8 * a) * (2 - s) - 4 * a,
            };
            float sum = 0f;
            for (int t = 0; t < 4; t++)
            {
                int at = floor - 1 + t;
                if (p.ExcludeOutside && (at < 0 || at >= inSize)) c[t] = 0f;
                sum += c[t];
                index[4 * i + t] = Math.Max(0, Math.Min(at, inSize - 1));
            }
            for (int t = 0; t < 4; t++) weight[4 * i + t] = p.ExcludeOutside && sum != 0f ? c[t] / sum : c[t];
        }
        return (index, weight);
    }
}
