// Reductions. Axes are collapsed (size-1 axes dropped, neighbours with the same flag merged); then either the
// innermost axis is reduced (each contiguous run folds into one output with a TensorPrimitives reduction) or
// kept (each input row folds element-wise into an output row with vector ops). Either way no scratch memory.
using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace EfficientAI.Runtime;

/// <summary>Reductions.</summary>
public static class Reduce
{
    /// <summary>
    /// Reduces x of shape inShape over the axes flagged non-zero in reduceAxes (one flag per axis) into y,
    /// whose element count is the product of the kept dims (keepdims does not change the layout).
    /// No flagged axis means a plain copy; reducing an empty set gives the op's identity (Sum 0, Prod 1, Max -inf, Min +inf).
    /// </summary>
    [SkipLocalsInit]
    public static void Compute(ReduceOp op, ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> inShape, ReadOnlySpan<int> reduceAxes)
    {
        int rank = inShape.Length;
        if (reduceAxes.Length != rank) ThrowHelper.Argument("reduceAxes needs one flag per axis.");
        Shapes.CheckRank(rank);
        bool anyReduced = false;
        long total = 1, outCount = 1, reducedCount = 1;
        for (int d = 0; d < rank; d++)
        {
            total *= inShape[d];
            if (reduceAxes[d] != 0) { anyReduced = true; reducedCount *= inShape[d]; }
            else outCount *= inShape[d];
        }
        if (x.Length < total || y.Length < outCount) ThrowHelper.Argument("A span is shorter than its shape.");
        if (!anyReduced)
        {
            x.Slice(0, (int)total).CopyTo(y);
            return;
        }
        if (outCount == 0) return;
        Span<float> yOut = y.Slice(0, (int)outCount);
        yOut.Fill(Identity(op));
        if (reducedCount == 0)
        {
            Finish(op, yOut, 0);
            return;
        }

        Span<int> shape = stackalloc int[Shapes.MaxRank];
        Span<bool> reduced = stackalloc bool[Shapes.MaxRank];
        int r = 0;
        for (int d = 0; d < rank; d++)
        {
            int s = inShape[d];
            if (s == 1) continue;
            bool red = reduceAxes[d] != 0;
            if (r > 0 && reduced[r - 1] == red) shape[r - 1] *= s;
            else { shape[r] = s; reduced[r] = red; r++; }
        }
        if (r == 0)
        {
            // Only size-1 axes: a one-element reduction.
            shape[0] = 1;
            reduced[0] = true;
            r = 1;
        }

        Span<int> yStrides = stackalloc int[Shapes.MaxRank];
        int ys = 1;
        for (int d = r - 1; d >= 0; d--)
        {
            yStrides[d] = reduced[d] ? 0 : ys;
            if (!reduced[d]) ys *= shape[d];
        }

        int run = shape[r - 1];
        long runs = total / run;
        bool innerReduced = reduced[r - 1];
        Span<int> index = stackalloc int[Shapes.MaxRank];
        index.Slice(0, r).Clear();
        int yOff = 0;
        for (long i = 0; i < runs; i++)
        {
            ReadOnlySpan<float> seg = x.Slice((int)(i * run), run);
            if (innerReduced) yOut[yOff] = CombineRun(op, yOut[yOff], seg);
            else CombineRow(op, yOut.Slice(yOff, run), seg);
            for (int d = r - 2; d >= 0; d--)
            {
                yOff += yStrides[d];
                if (++index[d] < shape[d]) break;
                yOff -= yStrides[d] * shape[d];
                index[d] = 0;
            }
        }
        Finish(op, yOut, reducedCount);
    }

    private static float Identity(ReduceOp op) => op switch
    {
        ReduceOp.Prod => 1f,
        ReduceOp.Max or ReduceOp.LogSumExp => float.NegativeInfinity,
        ReduceOp.Min => float.PositiveInfinity,
        _ => 0f,
    };

    /// <summary>Folds a contiguous run into the running value acc.</summary>
    private static float CombineRun(ReduceOp op, float acc, ReadOnlySpan<float> seg)
    {
        switch (op)
        {
            case ReduceOp.Sum:
            case ReduceOp.Mean:
            case ReduceOp.LogSum: return acc + TensorPrimitives.Sum(seg);
            case ReduceOp.Max: return MathF.Max(acc, TensorPrimitives.Max(seg));
            case ReduceOp.Min: return MathF.Min(acc, TensorPrimitives.Min(seg));
            case ReduceOp.Prod: return acc * TensorPrimitives.Product(seg);
            case ReduceOp.L1: return acc + TensorPrimitives.SumOfMagnitudes(seg);
            case ReduceOp.L2:
            case ReduceOp.SumSquare: return acc + TensorPrimitives.SumOfSquares(seg);
            case ReduceOp.LogSumExp: return LogAddExp(acc, LogSumExp(seg));
            default: ThrowHelper.Argument("Unknown ReduceOp."); return 0f;
        }
    }

    /// <summary>Folds an input row element-wise into the output row acc.</summary>
    [SkipLocalsInit]
    private static void CombineRow(ReduceOp op, Span<float> acc, ReadOnlySpan<float> row)
    {
        switch (op)
        {
            case ReduceOp.Sum:
            case ReduceOp.Mean:
            case ReduceOp.LogSum: TensorPrimitives.Add(acc, row, acc); break;
            case ReduceOp.Max: TensorPrimitives.Max(acc, row, acc); break;
            case ReduceOp.Min: TensorPrimitives.Min(acc, row, acc); break;
            case ReduceOp.Prod: TensorPrimitives.Multiply(acc, row, acc); break;
            case ReduceOp.L2:
            case ReduceOp.SumSquare: TensorPrimitives.MultiplyAdd(row, row, acc, acc); break;
            case ReduceOp.L1:
                Span<float> scratch = stackalloc float[256];
                for (int start = 0; start < row.Length; start += scratch.Length)
                {
                    int len = Math.Min(scratch.Length, row.Length - start);
                    TensorPrimitives.Abs(row.Slice(start, len), scratch.Slice(0, len));
                    Span<float> a = acc.Slice(start, len);
                    TensorPrimitives.Add(a, scratch.Slice(0, len), a);
                }
                break;
            case ReduceOp.LogSumExp:
                for (int i = 0; i < acc.Length; i++) acc[i] = LogAddExp(acc[i], row[i]);
                break;
            default: ThrowHelper.Argument("Unknown ReduceOp."); break;
        }
    }

    private static void Finish(ReduceOp op, Span<float> y, long count)
    {
        switch (op)
        {
            case ReduceOp.Mean: TensorPrimitives.Divide(y, (float)count, y); break;
            case ReduceOp.L2: TensorPrimitives.Sqrt(y, y); break;
            case ReduceOp.LogSum: TensorPrimitives.Log(y, y); break;
        }
    }

    /// <summary>Stable ln(sum(exp(seg))): shift by the maximum before exponentiating.</summary>
    [SkipLocalsInit]
    private static float LogSumExp(ReadOnlySpan<float> seg)
    {
        float max = TensorPrimitives.Max(seg);
        if (float.IsInfinity(max) || float.IsNaN(max)) return max;
        Span<float> scratch = stackalloc float[256];
        double sum = 0;
        for (int start = 0; start < seg.Length; start += scratch.Length)
        {
            int len = Math.Min(scratch.Length, seg.Length - start);
            Span<float> t = scratch.Slice(0, len);
            TensorPrimitives.Subtract(seg.Slice(start, len), max, t);
            TensorPrimitives.Exp(t, t);
            sum += TensorPrimitives.Sum(t);
        }
        return (float)(max + Math.Log(sum));
    }

    /// <summary>ln(exp(a) + exp(b)) without overflow.</summary>
    private static float LogAddExp(float a, float b)
    {
        float max = MathF.Max(a, b);
        if (float.IsInfinity(max) || float.IsNaN(max)) return max;
        float min = MathF.Min(a, b);
        return (float)(max + Math.Log(1.0 + Math.Exp((double)min - max)));
    }
}
