using System;

namespace EfficientAI.Distill.Training;

/// <summary>Max or average over k x k windows with stride k, no padding (ONNX MaxPool/AveragePool, floor rounding).</summary>
internal sealed class Pool2d : Layer
{
    private readonly int _c, _h, _w, _oh, _ow;

    public Pool2d(int[] inShape, int kernel, bool max)
        : base(inShape, new[] { inShape[0], inShape[1] / kernel, inShape[2] / kernel })
    {
        (_c, _h, _w) = (inShape[0], inShape[1], inShape[2]);
        (_oh, _ow) = (OutShape[1], OutShape[2]);
        Kernel = kernel;
        IsMax = max;
    }

    public int Kernel { get; }
    public bool IsMax { get; }

    public override void Forward(double[] x, double[] y, int batch)
    {
        int k = Kernel;
        double scale = 1.0 / (k * k);
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < _c; c++)
            {
                int xc = b * InSize + c * _h * _w, yc = b * OutSize + c * _oh * _ow;
                for (int oy = 0; oy < _oh; oy++)
                    for (int ox = 0; ox < _ow; ox++)
                    {
                        double acc = IsMax ? double.NegativeInfinity : 0;
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                            {
                                double v = x[xc + (oy * k + ky) * _w + ox * k + kx];
                                acc = IsMax ? Math.Max(acc, v) : acc + v;
                            }
                        y[yc + oy * _ow + ox] = IsMax ? acc : acc * scale;
                    }
            }
    }

    public override void Backward(double[] x, double[] y, double[] dy, double[] dx, int batch)
    {
        int k = Kernel;
        double scale = 1.0 / (k * k);
        Array.Clear(dx, 0, batch * InSize);
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < _c; c++)
            {
                int xc = b * InSize + c * _h * _w, yc = b * OutSize + c * _oh * _ow;
                for (int oy = 0; oy < _oh; oy++)
                    for (int ox = 0; ox < _ow; ox++)
                    {
                        double g = dy[yc + oy * _ow + ox];
                        if (IsMax)
                        {
                            // The gradient goes to the first maximum, recomputed here so the layer keeps no state.
                            int best = -1;
                            double max = double.NegativeInfinity;
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                {
                                    int i = xc + (oy * k + ky) * _w + ox * k + kx;
                                    if (best < 0 || x[i] > max) (best, max) = (i, x[i]);
                                }
                            dx[best] += g;
                        }
                        else
                        {
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                    dx[xc + (oy * k + ky) * _w + ox * k + kx] += g * scale;
                        }
                    }
            }
    }
}

/// <summary>[C,H,W] -> [C,1,1]: the mean of each plane (ONNX GlobalAveragePool).</summary>
internal sealed class GlobalAvgPool : Layer
{
    public GlobalAvgPool(int[] inShape) : base(inShape, new[] { inShape[0], 1, 1 }) { }

    public override void Forward(double[] x, double[] y, int batch)
    {
        int plane = InSize / OutSize;
        for (int i = 0, n = batch * OutSize; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < plane; j++) s += x[i * plane + j];
            y[i] = s / plane;
        }
    }

    public override void Backward(double[] x, double[] y, double[] dy, double[] dx, int batch)
    {
        int plane = InSize / OutSize;
        for (int i = 0, n = batch * OutSize; i < n; i++)
            for (int j = 0; j < plane; j++) dx[i * plane + j] = dy[i] / plane;
    }
}
