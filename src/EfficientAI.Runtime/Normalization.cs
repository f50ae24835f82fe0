// Softmax / LogSoftmax. The max is subtracted first so exp never overflows; when the softmax axis is not the
// innermost one, columns are processed in stack chunks so every step stays a contiguous vector operation.
using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace EfficientAI.Runtime;

/// <summary>Normalizations and softmax.</summary>
public static class Normalization
{
    // Columns per chunk of the strided path: three float buffers of this size use 12 KB of stack.
    private const int Columns = 1024;

    /// <summary>Softmax over the middle axis of x viewed as [outer, axis, inner]; with log, LogSoftmax. y may alias x.</summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner, bool log)
    {
        int block = axis * inner;
        if (x.Length < outer * block || y.Length < outer * block) ThrowHelper.Argument("A span is shorter than its shape.");
        if (block == 0) return;
        for (int o = 0; o < outer; o++)
        {
            ReadOnlySpan<float> xb = x.Slice(o * block, block);
            Span<float> yb = y.Slice(o * block, block);
            if (inner == 1) SoftmaxRow(xb, yb, log);
            else SoftmaxColumns(xb, yb, axis, inner, log);
        }
    }

    [SkipLocalsInit]
    private static void SoftmaxRow(ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        if (!log)
        {
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Divide(y, TensorPrimitives.Sum(y), y);
            return;
        }
        Span<float> scratch = stackalloc float[256];
        double sum = 0;
        for (int start = 0; start < y.Length; start += scratch.Length)
        {
            int len = Math.Min(scratch.Length, y.Length - start);
            TensorPrimitives.Exp(y.Slice(start, len), scratch.Slice(0, len));
            sum += TensorPrimitives.Sum(scratch.Slice(0, len));
        }
        TensorPrimitives.Subtract(y, (float)Math.Log(sum), y);
    }

    [SkipLocalsInit]
    private static void SoftmaxColumns(ReadOnlySpan<float> x, Span<float> y, int axis, int inner, bool log)
    {
        Span<float> maxBuffer = stackalloc float[Columns];
        Span<float> sumBuffer = stackalloc float[Columns];
        Span<float> expBuffer = stackalloc float[Columns];
        for (int j0 = 0; j0 < inner; j0 += Columns)
        {
            int len = Math.Min(Columns, inner - j0);
            Span<float> max = maxBuffer.Slice(0, len), sum = sumBuffer.Slice(0, len), exp = expBuffer.Slice(0, len);
            x.Slice(j0, len).CopyTo(max);
            for (int a = 1; a < axis; a++) TensorPrimitives.Max(max, x.Slice(a * inner + j0, len), max);
            sum.Clear();
            for (int a = 0; a < axis; a++)
            {
                Span<float> ya = y.Slice(a * inner + j0, len);
                TensorPrimitives.Subtract(x.Slice(a * inner + j0, len), max, ya);
                if (log)
                {
                    TensorPrimitives.Exp(ya, exp);
                    TensorPrimitives.Add(sum, exp, sum);
                }
                else
                {
                    TensorPrimitives.Exp(ya, ya);
                    TensorPrimitives.Add(sum, ya, sum);
                }
            }
            if (log) TensorPrimitives.Log(sum, sum);
            for (int a = 0; a < axis; a++)
            {
                Span<float> ya = y.Slice(a * inner + j0, len);
                if (log) TensorPrimitives.Subtract(ya, sum, ya);
                else TensorPrimitives.Divide(ya, sum, ya);
            }
        }
    }

    /// <summary>Hardmax over the middle axis of x viewed as [outer, axis, inner]: 1 at the first maximum, 0 elsewhere.</summary>
    public static void Hardmax(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner)
    {
        long total = (long)outer * axis * inner;
        if (x.Length < total || y.Length < total) ThrowHelper.Argument("A span is shorter than its shape.");
        for (int o = 0; o < outer; o++)
        {
            int block = o * axis * inner;
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                float max = x[block + i];
                for (int a = 1; a < axis; a++)
                {
                    float v = x[block + a * inner + i];
                    if (v > max)
                    {
                        max = v;
                        best = a;
                    }
                }
                for (int a = 0; a < axis; a++) y[block + a * inner + i] = a == best ? 1f : 0f;
            }
        }
    }

    /// <summary>
    /// LRN across channels of x viewed as [batch, channels, inner]: y = x / (bias + alpha / size * sum of x^2 over the
    /// channels c - (size - 1) / 2 ... c + size / 2 that exist) ^ beta. y must not alias x.
    /// </summary>
    public static void LocalResponse(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, int inner, int size, float alpha, float beta, float bias)
    {
        long total = (long)batch * channels * inner;
        if (x.Length < total || y.Length < total) ThrowHelper.Argument("A span is shorter than its shape.");
        int before = (size - 1) / 2, after = size - 1 - before;
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                int from = Math.Max(0, c - before), to = Math.Min(channels - 1, c + after);
                for (int i = 0; i < inner; i++)
                {
                    float sum = 0;
                    for (int k = from; k <= to; k++)
                    {
                        float v = x[(b * channels + k) * inner + i];
                        sum += v * v;
                    }
                    int at = (b * channels + c) * inner + i;
                    y[at] = x[at] / MathF.Pow(bias + alpha / size * sum, beta);
                }
            }
        }
    }

    /// <summary>
    /// BatchNormalization in training mode over x viewed as [n, c, spatial]: normalizes with the batch's per-channel
    /// mean and (biased) variance; runningMean/runningVar (when not empty) get mean * momentum + batch * (1 - momentum).
    /// y may alias x.
    /// </summary>
    public static void BatchNormTraining(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> variance, Span<float> y, Span<float> runningMean, Span<float> runningVar, int n, int c, int spatial, float epsilon, float momentum)
    {
        long total = (long)n * c * spatial;
        if (x.Length < total || y.Length < total || scale.Length < c || bias.Length < c || mean.Length < c || variance.Length < c
            || (!runningMean.IsEmpty && runningMean.Length < c) || (!runningVar.IsEmpty && runningVar.Length < c))
            ThrowHelper.Argument("A span is shorter than its shape.");
        long count = (long)n * spatial;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0, squares = 0;
            for (int b = 0; b < n; b++)
            {
                var plane = x.Slice((b * c + ch) * spatial, spatial);
                for (int i = 0; i < spatial; i++) sum += plane[i];
            }
            double batchMean = count == 0 ? 0 : sum / count;
            for (int b = 0; b < n; b++)
            {
                var plane = x.Slice((b * c + ch) * spatial, spatial);
                for (int i = 0; i < spatial; i++) squares += (plane[i] - batchMean) * (plane[i] - batchMean);
            }
            double batchVar = count == 0 ? 0 : squares / count;
            float factor = (float)(scale[ch] / Math.Sqrt(batchVar + epsilon)), shift = (float)(bias[ch] - batchMean * factor);
            for (int b = 0; b < n; b++)
            {
                int at = (b * c + ch) * spatial;
                for (int i = 0; i < spatial; i++) y[at + i] = x[at + i] * factor + shift;
            }
            if (!runningMean.IsEmpty) runningMean[ch] = (float)(mean[ch] * momentum + batchMean * (1 - momentum));
            if (!runningVar.IsEmpty) runningVar[ch] = (float)(variance[ch] * momentum + batchVar * (1 - momentum));
        }
    }
}
