// Mean/variance normalizations: LayerNormalization (rows), InstanceNormalization (per channel plane) and
// GroupNormalization (per channel group). Each block is standardized in two passes (mean, then the variance of
// the centered values, which is exact where sum-of-squares minus squared mean would cancel), then scaled.
using System;
using System.Numerics.Tensors;

namespace EfficientAI.Runtime;

/// <summary>Normalization by mean and variance over blocks of the input.</summary>
public static class Normalize
{
    /// <summary>
    /// LayerNormalization: x viewed as [rows, n]; each row becomes (x - mean) / sqrt(var + eps) * scale + bias
    /// (scale and bias have n values; bias may be empty). mean and invStdDev (one per row) are written when not empty.
    /// y may alias x.
    /// </summary>
    public static void Layer(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int n, float epsilon, Span<float> mean, Span<float> invStdDev)
    {
        if (x.Length < rows * n || y.Length < rows * n || scale.Length < n || (!bias.IsEmpty && bias.Length < n)
            || (!mean.IsEmpty && mean.Length < rows) || (!invStdDev.IsEmpty && invStdDev.Length < rows))
        {
            ThrowHelper.Argument("A span is shorter than its shape.");
        }
        for (int r = 0; r < rows; r++)
        {
            Span<float> yr = y.Slice(r * n, n);
            var (m, inv) = Standardize(x.Slice(r * n, n), yr, epsilon);
            if (bias.IsEmpty) TensorPrimitives.Multiply(yr, scale.Slice(0, n), yr);
            else TensorPrimitives.MultiplyAdd(yr, scale.Slice(0, n), bias.Slice(0, n), yr);
            if (!mean.IsEmpty) mean[r] = m;
            if (!invStdDev.IsEmpty) invStdDev[r] = inv;
        }
    }

    /// <summary>
    /// GroupNormalization on x of shape [batch, channels, spatial]: the channels split into groups of
    /// channels / groups, each (batch, group) block standardized, then per channel y = z * scale + bias where scale
    /// and bias hold one value per channel (perChannel) or per group. InstanceNormalization is groups == channels.
    /// y may alias x.
    /// </summary>
    public static void Group(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, Span<float> y,
        int batch, int channels, int spatial, int groups, float epsilon, bool perChannel)
    {
        if (groups <= 0 || channels % groups != 0) ThrowHelper.Argument("groups must divide channels.");
        int perGroup = channels / groups, block = perGroup * spatial, affine = perChannel ? channels : groups;
        if (x.Length < batch * channels * spatial || y.Length < batch * channels * spatial || scale.Length < affine || bias.Length < affine)
        {
            ThrowHelper.Argument("A span is shorter than its shape.");
        }
        for (int b = 0; b < batch; b++)
        {
            for (int g = 0; g < groups; g++)
            {
                int start = (b * groups + g) * block;
                Span<float> yb = y.Slice(start, block);
                Standardize(x.Slice(start, block), yb, epsilon);
                for (int c = 0; c < perGroup; c++)
                {
                    int k = perChannel ? g * perGroup + c : g;
                    Span<float> plane = yb.Slice(c * spatial, spatial);
                    TensorPrimitives.Multiply(plane, scale[k], plane);
                    TensorPrimitives.Add(plane, bias[k], plane);
                }
            }
        }
    }

    /// <summary>y = (x - mean) / sqrt(var + eps) over the whole span; returns the mean and 1 / sqrt(var + eps).</summary>
    private static (float Mean, float InvStdDev) Standardize(ReadOnlySpan<float> x, Span<float> y, float epsilon)
    {
        if (x.Length == 0) return (0f, 0f);
        float mean = TensorPrimitives.Sum(x) / x.Length;
        TensorPrimitives.Subtract(x, mean, y);
        float variance = TensorPrimitives.SumOfSquares(y) / x.Length;
        float inv = 1f / MathF.Sqrt(variance + epsilon);
        TensorPrimitives.Multiply(y, inv, y);
        return (mean, inv);
    }
}
