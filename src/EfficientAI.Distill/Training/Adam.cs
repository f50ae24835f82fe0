using System;
using System.Collections.Generic;
using System.Linq;

namespace EfficientAI.Distill.Training;

/// <summary>Adam (Kingma and Ba 2015) with bias correction; beta1 0.9, beta2 0.999, epsilon 1e-8.</summary>
internal sealed class Adam
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    private readonly Parameter[] _parameters;
    private readonly double[][] _m, _v;
    private long _step;

    public Adam(IEnumerable<Parameter> parameters, double learningRate)
    {
        _parameters = parameters.ToArray();
        _m = _parameters.Select(p => new double[p.Value.Length]).ToArray();
        _v = _parameters.Select(p => new double[p.Value.Length]).ToArray();
        LearningRate = learningRate;
    }

    public double LearningRate { get; }

    public void Step()
    {
        _step++;
        double c1 = 1 - Math.Pow(Beta1, _step), c2 = 1 - Math.Pow(Beta2, _step);
        for (int k = 0; k < _parameters.Length; k++)
        {
            var p = _parameters[k];
            var m = _m[k];
            var v = _v[k];
            for (int i = 0; i < m.Length; i++)
            {
                double g = p.Grad[i];
                m[i] = Beta1 * m[i] + (1 - Beta1) * g;
                v[i] = Beta2 * v[i] + (1 - Beta2) * g * g;
                p.Value[i] -= LearningRate * (m[i] / c1) / (Math.Sqrt(v[i] / c2) + Epsilon);
            }
        }
    }
}
