using System;
using System.Collections.Generic;

namespace EfficientAI.Distill.Training;

/// <summary>A trainable tensor and its gradient (accumulated by Backward, cleared by the optimizer's caller).</summary>
internal sealed class Parameter
{
    public Parameter(string name, int[] shape)
    {
        Name = name;
        Shape = shape;
        int n = 1;
        foreach (var d in shape) n *= d;
        Value = new double[n];
        Grad = new double[n];
    }

    public string Name { get; }
    public int[] Shape { get; }
    public double[] Value { get; }
    public double[] Grad { get; }
}

/// <summary>
/// One layer of a sequential network, on a batch stored sample after sample. Shapes are per sample ([C,H,W] or [F]).
/// Training runs in double precision: gradients check against finite differences to ~1e-7, and the float ONNX export
/// loses nothing training would have kept.
/// </summary>
internal abstract class Layer
{
    protected Layer(int[] inShape, int[] outShape)
    {
        InShape = inShape;
        OutShape = outShape;
        InSize = Size(inShape);
        OutSize = Size(outShape);
    }

    public int[] InShape { get; }
    public int[] OutShape { get; }
    public int InSize { get; }
    public int OutSize { get; }

    public virtual IReadOnlyList<Parameter> Parameters => Array.Empty<Parameter>();

    /// <summary>y = f(x) for <paramref name="batch"/> samples.</summary>
    public abstract void Forward(double[] x, double[] y, int batch);

    /// <summary>dx from dy (overwritten), and dL/dparameter added to each parameter's Grad. x and y are Forward's.</summary>
    public abstract void Backward(double[] x, double[] y, double[] dy, double[] dx, int batch);

    /// <summary>He initialization (normal, std sqrt(2 / fan-in)), biases zero.</summary>
    public virtual void Initialize(Rng rng) { }

    public static int Size(int[] shape)
    {
        int n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }
}

/// <summary>y = x W^T + b, W [out, in] as ONNX Gemm with transB=1 takes it.</summary>
internal sealed class Linear : Layer
{
    public Linear(int inFeatures, int outFeatures, string name) : base(new[] { inFeatures }, new[] { outFeatures })
    {
        Weight = new Parameter(name + ".weight", new[] { outFeatures, inFeatures });
        Bias = new Parameter(name + ".bias", new[] { outFeatures });
    }

    public Parameter Weight { get; }
    public Parameter Bias { get; }
    public override IReadOnlyList<Parameter> Parameters => new[] { Weight, Bias };

    public override void Initialize(Rng rng)
    {
        double std = Math.Sqrt(2.0 / InSize);
        for (int i = 0; i < Weight.Value.Length; i++) Weight.Value[i] = rng.NextGaussian() * std;
        Array.Clear(Bias.Value);
    }

    public override void Forward(double[] x, double[] y, int batch)
    {
        int n = InSize, m = OutSize;
        var w = Weight.Value;
        for (int b = 0; b < batch; b++)
        {
            var xs = new ReadOnlySpan<double>(x, b * n, n);
            for (int o = 0; o < m; o++)
            {
                var ws = new ReadOnlySpan<double>(w, o * n, n);
                double s = Bias.Value[o];
                for (int i = 0; i < n; i++) s += xs[i] * ws[i];
                y[b * m + o] = s;
            }
        }
    }

    public override void Backward(double[] x, double[] y, double[] dy, double[] dx, int batch)
    {
        int n = InSize, m = OutSize;
        var w = Weight.Value;
        var gw = Weight.Grad;
        Array.Clear(dx, 0, batch * n);
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < m; o++)
            {
                double g = dy[b * m + o];
                if (g == 0) continue;
                Bias.Grad[o] += g;
                int wo = o * n, xo = b * n;
                for (int i = 0; i < n; i++)
                {
                    gw[wo + i] += g * x[xo + i];
                    dx[xo + i] += g * w[wo + i];
                }
            }
        }
    }
}

/// <summary>max(x, 0).</summary>
internal sealed class Relu : Layer
{
    public Relu(int[] shape) : base(shape, shape) { }

    public override void Forward(double[] x, double[] y, int batch)
    {
        for (int i = 0, n = batch * InSize; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0;
    }

    public override void Backward(double[] x, double[] y, double[] dy, double[] dx, int batch)
    {
        for (int i = 0, n = batch * InSize; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
    }
}

/// <summary>[C,H,W] -> [C*H*W]: the data does not move.</summary>
internal sealed class Flatten : Layer
{
    public Flatten(int[] shape) : base(shape, new[] { Size(shape) }) { }

    public override void Forward(double[] x, double[] y, int batch) => Array.Copy(x, y, batch * InSize);

    public override void Backward(double[] x, double[] y, double[] dy, double[] dx, int batch) => Array.Copy(dy, dx, batch * InSize);
}
