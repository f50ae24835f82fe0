// Loss functions of ONNX's training-era ops, used in inference graphs exported with their loss head
// (NegativeLogLikelihoodLoss, and SoftmaxCrossEntropyLoss as LogSoftmax followed by it).
using System;
using System.Numerics;

namespace EfficientAI.Runtime;

/// <summary>How a loss reduces its per-element values (the ONNX "reduction" attribute).</summary>
public enum LossReduction
{
    /// <summary>one loss per target element</summary>
    None,
    /// <summary>the sum of the per-element losses</summary>
    Sum,
    /// <summary>the weighted mean: the sum divided by the sum of the weights of the targets not ignored</summary>
    Mean,
}

/// <summary>Loss kernels.</summary>
public static class Loss
{
    /// <summary>
    /// NegativeLogLikelihoodLoss: x is [batch, classes, inner] (log-probabilities), target [batch, inner] class
    /// indices, weight [classes] or empty (all 1). loss[n, i] = -x[n, target, i] * weight[target], 0 where the target
    /// equals ignoreIndex (pass a value outside the class range, e.g. long.MinValue, for none). loss has batch * inner
    /// elements for <see cref="LossReduction.None"/>, else one.
    /// </summary>
    public static void NegativeLogLikelihood<TIndex>(ReadOnlySpan<float> x, ReadOnlySpan<TIndex> target, ReadOnlySpan<float> weight,
        Span<float> loss, int batch, int classes, int inner, long ignoreIndex, LossReduction reduction)
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        long count = (long)batch * inner;
        if (x.Length < count * classes || target.Length < count || loss.Length < (reduction == LossReduction.None ? count : 1))
            ThrowHelper.Argument("A span is shorter than its shape.");
        if (!weight.IsEmpty && weight.Length < classes) ThrowHelper.Argument("weight is shorter than the class count.");
        // Sums in double: a mean over many elements stays within float rounding of the exact value.
        double sum = 0, weightSum = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int i = 0; i < inner; i++)
            {
                int t = n * inner + i;
                long c = long.CreateTruncating(target[t]);
                float value = 0f;
                if (c != ignoreIndex)
                {
                    if ((ulong)c >= (ulong)classes) ThrowHelper.Argument("A target class index is outside [0, classes).");
                    float w = weight.IsEmpty ? 1f : weight[(int)c];
                    value = -x[(n * classes + (int)c) * inner + i] * w;
                    weightSum += w;
                }
                if (reduction == LossReduction.None) loss[t] = value;
                else sum += value;
            }
        }
        if (reduction == LossReduction.Sum) loss[0] = (float)sum;
        else if (reduction == LossReduction.Mean) loss[0] = (float)(sum / weightSum);
    }
}
