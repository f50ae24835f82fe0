using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// NonMaxSuppression: per batch and class, boxes by descending score (above score_threshold), each kept unless its
/// IoU with a kept box exceeds iou_threshold, at most max_output_boxes_per_class; output [selected, 3] int64 triples
/// (batch, class, box). How many are kept is the output size, so every input must be constant: the op is folded.
/// </summary>
internal sealed class NonMaxSuppressionOp : Operator
{
    public override string OpType => "NonMaxSuppression";

    public override void Infer(OpContext ctx)
    {
        var boxes = ctx.RequireConst(0, "boxes");
        var scores = ctx.RequireConst(1, "scores");
        long maxPerClass = ctx.Has(2) ? ctx.RequireConst(2, "max_output_boxes_per_class").GetLong(0) : 0;
        double iouThreshold = ctx.Has(3) ? ctx.RequireConst(3, "iou_threshold").GetDouble(0) : 0;
        double? scoreThreshold = ctx.Has(4) ? ctx.RequireConst(4, "score_threshold").GetDouble(0) : null;
        bool centered = ctx.Int("center_point_box", 0) != 0;
        if (boxes.Shape.Length != 3 || boxes.Shape[2] != 4) throw ctx.Fail($"boxes must be [batches, boxes, 4], not {Shape.Format(boxes.Shape)}");
        int batches = boxes.Shape[0], count = boxes.Shape[1];
        if (scores.Shape.Length != 3 || scores.Shape[0] != batches || scores.Shape[2] != count)
            throw ctx.Fail($"scores must be [{batches}, classes, {count}], not {Shape.Format(scores.Shape)}");
        int classes = scores.Shape[1];

        var selected = new List<long>();
        for (int b = 0; b < batches; b++)
        {
            // Corners (y1, x1, y2, x2) with y1 <= y2 and x1 <= x2, whatever the format and order.
            var corners = new double[count][];
            for (int i = 0; i < count; i++)
            {
                double v0 = boxes.GetDouble((b * count + i) * 4), v1 = boxes.GetDouble((b * count + i) * 4 + 1);
                double v2 = boxes.GetDouble((b * count + i) * 4 + 2), v3 = boxes.GetDouble((b * count + i) * 4 + 3);
                corners[i] = centered
                    ? new[] { v1 - v3 / 2, v0 - v2 / 2, v1 + v3 / 2, v0 + v2 / 2 }
                    : new[] { Math.Min(v0, v2), Math.Min(v1, v3), Math.Max(v0, v2), Math.Max(v1, v3) };
            }
            for (int c = 0; c < classes; c++)
            {
                double Score(int i) => scores.GetDouble((b * classes + c) * count + i);
                // Descending score, the lower index first among equal scores.
                var candidates = Enumerable.Range(0, count).Where(i => scoreThreshold is not { } t || Score(i) > t)
                    .OrderByDescending(Score).ThenBy(i => i).ToList();
                var kept = new List<int>();
                foreach (var i in candidates)
                {
                    if (kept.Count >= maxPerClass) break;
                    if (kept.Any(k => Iou(corners[k], corners[i]) > iouThreshold)) continue;
                    kept.Add(i);
                    selected.AddRange(new long[] { b, c, i });
                }
            }
        }
        ctx.SetConst(0, Tensor.FromLongs(new[] { selected.Count / 3, 3 }, selected.ToArray()));
    }

    private static double Iou(double[] a, double[] b)
    {
        double areaA = (a[2] - a[0]) * (a[3] - a[1]), areaB = (b[2] - b[0]) * (b[3] - b[1]);
        if (areaA <= 0 || areaB <= 0) return 0;
        double h = Math.Max(0, Math.Min(a[2], b[2]) - Math.Max(a[0], b[0]));
        double w = Math.Max(0, Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]));
        double intersection = h * w;
        return intersection / (areaA + areaB - intersection);
    }

    public override bool TryEvaluate(OpContext ctx) => true;

    public override void Emit(EmitContext ctx) => throw ctx.Fail("NonMaxSuppression is always folded");
}
