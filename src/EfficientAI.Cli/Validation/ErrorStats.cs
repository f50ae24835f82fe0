using System;

namespace EfficientAI.Cli.Validation;

/// <summary>How far actual values are from reference values, and whether every element is within tolerance.</summary>
/// <param name="MaxAbs">max |a - e|</param>
/// <param name="MaxRel">max |a - e| / |e| over elements with e != 0</param>
/// <param name="Cosine">a.e / (|a| |e|); 1 when both are all zero</param>
/// <param name="Elements">elements compared</param>
/// <param name="Mismatches">elements with |a - e| &gt; atol + rtol |e| (NaN matches only NaN, an infinity only itself)</param>
internal sealed record ErrorStats(double MaxAbs, double MaxRel, double Cosine, long Mismatches, long Elements)
{
    public bool Within => Mismatches == 0;

    public static ErrorStats Compare(Array actual, Array expected, double rtol, double atol)
    {
        if (actual.Length != expected.Length) return new ErrorStats(double.PositiveInfinity, double.PositiveInfinity, 0, Math.Max(actual.Length, expected.Length), expected.Length);
        double[] actuals = ToDoubles(actual), expecteds = ToDoubles(expected);
        double maxAbs = 0, maxRel = 0, dot = 0, na = 0, ne = 0;
        long mismatches = 0;
        for (int i = 0; i < expecteds.Length; i++)
        {
            double a = actuals[i], e = expecteds[i];
            if (double.IsNaN(a) && double.IsNaN(e)) continue;
            if (double.IsNaN(a) || double.IsNaN(e) || double.IsInfinity(a) || double.IsInfinity(e))
            {
                if (a != e) { mismatches++; maxAbs = maxRel = double.PositiveInfinity; }
                continue;
            }
            double d = Math.Abs(a - e);
            maxAbs = Math.Max(maxAbs, d);
            if (e != 0) maxRel = Math.Max(maxRel, d / Math.Abs(e));
            if (d > atol + rtol * Math.Abs(e)) mismatches++;
            dot += a * e;
            na += a * a;
            ne += e * e;
        }
        double cosine = na == 0 && ne == 0 ? 1 : na == 0 || ne == 0 ? 0 : dot / (Math.Sqrt(na) * Math.Sqrt(ne));
        return new ErrorStats(maxAbs, maxRel, cosine, mismatches, expected.Length);
    }

    public static double[] ToDoubles(Array values)
    {
        if (values is float[] f) return Array.ConvertAll(f, v => (double)v);
        if (values is double[] d) return d;
        if (values is bool[] b) return Array.ConvertAll(b, v => v ? 1.0 : 0.0);
        var result = new double[values.Length];
        for (int i = 0; i < result.Length; i++) result[i] = Convert.ToDouble(values.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
        return result;
    }
}
