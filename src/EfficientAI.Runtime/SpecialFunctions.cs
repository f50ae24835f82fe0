// Scalar special functions evaluated in double so the float results are accurate to a few ulps.
using System;

namespace EfficientAI.Runtime;

internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>erf(x): Maclaurin series near zero (where 1 - erfc would cancel), else 1 - erfc(|x|).</summary>
    public static double Erf(double x)
    {
        if (Math.Abs(x) < 0.5) return ErfSeries(x);
        double r = 1.0 - ErfcPositive(Math.Abs(x));
        return x < 0 ? -r : r;
    }

    /// <summary>erfc(x) for any x, with small relative error also in the far tails.</summary>
    public static double Erfc(double x)
    {
        if (Math.Abs(x) < 0.5) return 1.0 - ErfSeries(x);
        return x > 0 ? ErfcPositive(x) : 2.0 - ErfcPositive(-x);
    }

    /// <summary>Exact Gelu written as 0.5 x erfc(-x / sqrt 2) so the negative tail keeps its relative accuracy.</summary>
    public static double Gelu(double x) => 0.5 * x * Erfc(-x * 0.7071067811865476);

    /// <summary>ln(1 + exp(x)) without overflow for large x or underflow to 0 for very negative x.</summary>
    public static double Softplus(double x)
    {
        double e = Math.Exp(-Math.Abs(x));
        double log1pE = e < 1e-5 ? e * (1.0 - 0.5 * e) : Math.Log(1.0 + e);
        return Math.Max(x, 0.0) + log1pE;
    }

    private static double ErfSeries(double x)
    {
        // sum_n (-1)^n x^(2n+1) / (n! (2n+1)); 12 terms reach double precision for |x| < 0.5.
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n <= 12; n++)
        {
            term *= -x2 / n;
            sum += term / (2 * n + 1);
        }
        return TwoOverSqrtPi * sum;
    }

    // Chebyshev-fitted erfc for z >= 0 with fractional error below 1.2e-7 everywhere.
    private static double ErfcPositive(double z)
    {
        double t = 1.0 / (1.0 + 0.5 * z);
        double poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        return t * Math.Exp(-z * z + poly);
    }
}
