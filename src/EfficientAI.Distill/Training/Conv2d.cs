using System;
using System.Collections.Generic;

namespace EfficientAI.Distill.Training;

/// <summary>2-D convolution, square kernel, one stride and one zero padding for both axes; W [out, in, k, k] as ONNX Conv.</summary>
internal sealed class Conv2d : Layer
{
    private readonly int _c, _h, _w, _o, _oh, _ow;

    public Conv2d(int[] inShape, int outChannels, int kernel, int stride, int padding, string name)
        : base(inShape, new[] { outChannels, OutDim(inShape[1], kernel, stride, padding), OutDim(inShape[2], kernel, stride, padding) })
    {
        (_c, _h, _w) = (inShape[0], inShape[1], inShape[2]);
        (_o, _oh, _ow) = (outChannels, OutShape[1], OutShape[2]);
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        Weight = new Parameter(name + ".weight", new[] { outChannels, _c, kernel, kernel });
        Bias = new Parameter(name + ".bias", new[] { outChannels });
    }

    /// <summary>floor((size + 2 padding - kernel) / stride) + 1; zero or less when the kernel does not fit.</summary>
    public static int OutDim(int size, int kernel, int stride, int padding) =>
        size + 2 * padding < kernel ? 0 : (size + 2 * padding - kernel) / stride + 1;

    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }
    public override IReadOnlyList<Parameter> Parameters => new[] { Weight, Bias };

    public override void Initialize(Rng rng)
    {
        double std = Math.Sqrt(2.0 / (_c * Kernel * Kernel));
        for (int i = 0; i < Weight.Value.Length; i++) Weight.Value[i] = rng.NextGaussian() * std;
        Array.Clear(Bias.Value);
    }

    public override void Forward(double[] x, double[] y, int batch)
    {
        int k = Kernel;
        var w = Weight.Value;
        for (int b = 0; b < batch; b++)
        {
            int xb = b * InSize, yb = b * OutSize;
            for (int o = 0; o < _o; o++)
                for (int oy = 0; oy < _oh; oy++)
                    for (int ox = 0; ox < _ow; ox++)
                    {
                        double s = Bias.Value[o];
                        for (int c = 0; c < _c; c++)
                        {
                            int wc = (o * _c + c) * k * k, xc = xb + c * _h * _w;
                            for (int ky = 0; ky < k; ky++)
                            {
                                int iy = oy * Stride - Padding + ky;
                                if ((uint)iy >= (uint)_h) continue;
                                for (int kx = 0; kx < k; kx++)
                                {
                                    int ix = ox * Stride - Padding + kx;
                                    if ((uint)ix >= (uint)_w) continue;
                                    s += x[xc + iy * _w + ix] * w[wc + ky * k + kx];
                                }
                            }
                        }
                        y[yb + (o * _oh + oy) * _ow + ox] = s;
                    }
        }
    }

    public override void Backward(double[] x, double[] y, double[] dy, double[] dx, int batch)
    {
        int k = Kernel;
        var w = Weight.Value;
        var gw = Weight.Grad;
        Array.Clear(dx, 0, batch * InSize);
        for (int b = 0; b < batch; b++)
        {
            int xb = b * InSize, yb = b * OutSize;
            for (int o = 0; o < _o; o++)
                for (int oy = 0; oy < _oh; oy++)
                    for (int ox = 0; ox < _ow; ox++)
                    {
                        double g = dy[yb + (o * _oh + oy) * _ow + ox];
                        if (g == 0) continue;
                        Bias.Grad[o] += g;
                        for (int c = 0; c < _c; c++)
                        {
                            int wc = (o * _c + c) * k * k, xc = xb + c * _h * _w;
                            for (int ky = 0; ky < k; ky++)
                            {
                                int iy = oy * Stride - Padding + ky;
                                if ((uint)iy >= (uint)_h) continue;
                                for (int kx = 0; kx < k; kx++)
                                {
                                    int ix = ox * Stride - Padding + kx;
                                    if ((uint)ix >= (uint)_w) continue;
                                    gw[wc + ky * k + kx] += g * x[xc + iy * _w + ix];
                                    dx[xc + iy * _w + ix] += g * w[wc + ky * k + kx];
                                }
                            }
                        }
                    }
        }
    }
}
