using System;

namespace EfficientAI.Codegen.Ops;

internal sealed class ErfOp : UnaryOperator
{
    public override string OpType => "Erf";
    protected override float Apply(float x, float alpha, float beta) => (float)Erf(x);

    /// <summary>erf in double for folding, the same method as the runtime kernel: Maclaurin series near 0, else 1 - erfc.</summary>
    public static double Erf(double x)
    {
        if (Math.Abs(x) < 0.5)
        {
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n <= 12; n++)
            {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            return 1.1283791670955126 * sum;
        }
        double r = 1.0 - ErfcPositive(Math.Abs(x));
        return x < 0 ? -r : r;
    }

    /// <summary>erfc(x) for any x.</summary>
    public static double Erfc(double x) => Math.Abs(x) < 0.5 ? 1.0 - Erf(x) : x > 0 ? ErfcPositive(x) : 2.0 - ErfcPositive(-x);

    // Chebyshev-fitted erfc for z >= 0, fractional error below 1.2e-7.
    private static double ErfcPositive(double z)
    {
        double t = 1.0 / (1.0 + 0.5 * z);
        double poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        return t * Math.Exp(-z * z + poly);
    }
}
