using System;

namespace EfficientAI.Distill.Training;

/// <summary>
/// The distillation loss, per sample: alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE(student, label),
/// averaged over the batch. T^2 keeps the soft term's gradient on the scale of the hard term's as T grows (Hinton et al. 2015).
/// </summary>
internal static class Losses
{
    /// <summary>Softmax of <paramref name="z"/> / t into <paramref name="p"/>, max-subtracted.</summary>
    public static void Softmax(ReadOnlySpan<double> z, double t, Span<double> p)
    {
        double max = double.NegativeInfinity;
        foreach (var v in z) max = Math.Max(max, v);
        double sum = 0;
        for (int i = 0; i < z.Length; i++) sum += p[i] = Math.Exp((z[i] - max) / t);
        for (int i = 0; i < z.Length; i++) p[i] /= sum;
    }

    /// <summary>
    /// The mean loss over the batch; dL/dlogits into <paramref name="gradient"/> (already divided by the batch).
    /// teacher null: cross-entropy only (alpha is taken as 0); labels null: soft targets only (alpha is taken as 1).
    /// </summary>
    public static double Distillation(ReadOnlySpan<double> logits, ReadOnlySpan<float> teacher, ReadOnlySpan<int> labels, int batch, int classes,
        double temperature, double alpha, Span<double> gradient)
    {
        bool soft = !teacher.IsEmpty, hard = !labels.IsEmpty;
        if (!soft && !hard) throw new ArgumentException("the loss needs teacher logits, labels or both");
        double a = !hard ? 1 : !soft ? 0 : alpha, t = temperature;
        Span<double> q = stackalloc double[classes], p = stackalloc double[classes], tz = stackalloc double[classes];
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            var z = logits.Slice(b * classes, classes);
            var g = gradient.Slice(b * classes, classes);
            g.Clear();
            if (a > 0)
            {
                for (int i = 0; i < classes; i++) tz[i] = teacher[b * classes + i];
                Softmax(tz, t, p);
                Softmax(z, t, q);
                double kl = 0;
                for (int i = 0; i < classes; i++)
                {
                    if (p[i] > 0) kl += p[i] * (Math.Log(p[i]) - Math.Log(Math.Max(q[i], double.Epsilon)));
                    // d(T^2 KL)/dz_i = T (q_i - p_i)
                    g[i] += a * t * (q[i] - p[i]);
                }
                total += a * t * t * kl;
            }
            if (a < 1)
            {
                Softmax(z, 1, q);
                int y = labels[b];
                total += (1 - a) * -Math.Log(Math.Max(q[y], double.Epsilon));
                for (int i = 0; i < classes; i++) g[i] += (1 - a) * (q[i] - (i == y ? 1 : 0));
            }
        }
        for (int i = 0; i < batch * classes; i++) gradient[i] /= batch;
        return total / batch;
    }
}
