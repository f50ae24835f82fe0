using System.Collections.Generic;

namespace EfficientAI.Codegen.Passes;

/// <summary>
/// CalibrationMethod=Entropy: the clipping threshold that loses the least information, TensorRT's method. The values'
/// magnitudes go into a 2048-bin histogram over [0, max |x|]; for every candidate threshold (bin i from the number of
/// quantized levels to 2048) the reference distribution P is bins [0, i) with everything beyond added to the last bin,
/// and the candidate Q is the same bins merged into the quantized levels and spread back over their nonzero bins; the
/// threshold with the smallest KL(P || Q) wins. Non-negative inputs (after Relu) use 255 levels over [0, t] (uint8's
/// whole range); signed inputs use |x| with 128 levels per side and clip both ends at t.
/// </summary>
internal static class EntropyCalibration
{
    public const int Bins = 2048;

    public static (float Lo, float Hi) Bounds(IReadOnlyList<float> values, float min, float max)
    {
        bool signed = min < 0;
        float top = signed ? System.Math.Max(-min, max) : max;
        if (!(top > 0) || float.IsInfinity(top)) return (min, max);
        var hist = new double[Bins];
        double width = top / (double)Bins;
        foreach (var v in values)
        {
            double a = signed ? System.Math.Abs(v) : v;
            int b = (int)(a / width);
            hist[b < 0 ? 0 : b >= Bins ? Bins - 1 : b]++;
        }
        int levels = signed ? 128 : 255;
        int best = Threshold(hist, levels);
        float t = (float)(best * width);
        return signed ? (System.Math.Max(min, -t), System.Math.Min(max, t)) : (min, System.Math.Min(max, t));
    }

    /// <summary>The bin count i in [levels, hist.Length] whose clipped distribution quantizes with the least KL divergence.</summary>
    public static int Threshold(double[] hist, int levels)
    {
        int n = hist.Length;
        var suffix = new double[n + 1];
        for (int i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + hist[i];
        int best = n;
        double bestKl = double.PositiveInfinity;
        var p = new double[n];
        var q = new double[n];
        for (int i = levels; i <= n; i++)
        {
            for (int k = 0; k < i; k++) p[k] = hist[k];
            p[i - 1] += suffix[i];
            // Q: bins [0, i) merged into `levels` groups, each group's mass spread evenly over its nonzero bins.
            for (int g = 0; g < levels; g++)
            {
                int start = (int)((long)g * i / levels), end = (int)((long)(g + 1) * i / levels);
                double sum = 0;
                int nonzero = 0;
                for (int k = start; k < end; k++)
                {
                    sum += hist[k];
                    if (hist[k] != 0) nonzero++;
                }
                for (int k = start; k < end; k++) q[k] = hist[k] != 0 ? sum / nonzero : 0;
            }
            double kl = Divergence(p, q, i);
            if (kl < bestKl)
            {
                bestKl = kl;
                best = i;
            }
        }
        return best;
    }

    /// <summary>KL(P || Q) over the first count bins, both normalized and smoothed (zeros get 1e-4 taken from the nonzero bins, as ONNX Runtime's calibrator).</summary>
    private static double Divergence(double[] p, double[] q, int count)
    {
        var ps = Smooth(p, count);
        var qs = Smooth(q, count);
        if (ps is null || qs is null) return double.PositiveInfinity;
        double kl = 0;
        for (int k = 0; k < count; k++)
            if (ps[k] > 0) kl += ps[k] * System.Math.Log(ps[k] / qs[k]);
        return kl;
    }

    private static double[]? Smooth(double[] d, int count)
    {
        const double eps = 1e-4;
        double total = 0;
        int zeros = 0;
        for (int k = 0; k < count; k++)
        {
            total += d[k];
            if (d[k] == 0) zeros++;
        }
        int nonzero = count - zeros;
        if (total <= 0 || nonzero == 0) return null;
        double take = eps * zeros / nonzero;
        var s = new double[count];
        for (int k = 0; k < count; k++)
        {
            s[k] = d[k] == 0 ? eps : d[k] / total - take;
            if (s[k] <= 0) s[k] = eps * 1e-3; // a tiny nonzero bin smaller than what smoothing takes from it
        }
        return s;
    }
}
