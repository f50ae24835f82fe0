// ReverseSequence: each batch entry's first sequenceLengths[b] time steps reversed, the rest copied.
using System;

namespace EfficientAI.Runtime;

/// <summary>ReverseSequence over x viewed as [batch, time, inner] (batch-major) or [time, batch, inner].</summary>
public static class ReverseSequence
{
    /// <summary>y[b, t] = x[b, len[b] - 1 - t] for t &lt; len[b], else x[b, t] (rows of <paramref name="inner"/> elements).</summary>
    public static void Compute<T>(ReadOnlySpan<T> x, ReadOnlySpan<long> sequenceLengths, Span<T> y, int batch, int time, int inner, bool batchMajor)
    {
        if (x.Length != batch * time * inner || y.Length != x.Length || sequenceLengths.Length != batch)
            ThrowHelper.Argument("x, y or sequenceLengths does not match the shape.");
        for (int b = 0; b < batch; b++)
        {
            long length = sequenceLengths[b];
            if (length < 0 || length > time) ThrowHelper.Argument("a sequence length is outside [0, time].");
            for (int t = 0; t < time; t++)
            {
                int source = t < length ? (int)length - 1 - t : t;
                int to = (batchMajor ? b * time + t : t * batch + b) * inner;
                int from = (batchMajor ? b * time + source : source * batch + b) * inner;
                x.Slice(from, inner).CopyTo(y.Slice(to, inner));
            }
        }
    }
}
