using System;
using System.Collections.Generic;
using System.Linq;

namespace EfficientAI.Distill.Training;

/// <summary>A sequential network with activation and gradient buffers sized for the largest batch seen so far.</summary>
internal sealed class Network
{
    private double[][] _activations = Array.Empty<double[]>();
    private double[][] _gradients = Array.Empty<double[]>();
    private int _capacity;

    public Network(IReadOnlyList<Layer> layers)
    {
        if (layers.Count == 0) throw new ArgumentException("a network needs at least one layer", nameof(layers));
        Layers = layers;
    }

    public IReadOnlyList<Layer> Layers { get; }
    public int[] InputShape => Layers[0].InShape;
    public int InputSize => Layers[0].InSize;
    public int OutputSize => Layers[^1].OutSize;
    public IEnumerable<Parameter> Parameters => Layers.SelectMany(l => l.Parameters);
    public int ParameterCount => Parameters.Sum(p => p.Value.Length);

    public void Initialize(Rng rng)
    {
        foreach (var l in Layers) l.Initialize(rng);
    }

    private void Reserve(int batch)
    {
        if (batch <= _capacity) return;
        _activations = new double[Layers.Count + 1][];
        _gradients = new double[Layers.Count + 1][];
        _activations[0] = new double[batch * InputSize];
        _gradients[0] = new double[batch * InputSize];
        for (int i = 0; i < Layers.Count; i++)
        {
            _activations[i + 1] = new double[batch * Layers[i].OutSize];
            _gradients[i + 1] = new double[batch * Layers[i].OutSize];
        }
        _capacity = batch;
    }

    /// <summary>Logits of <paramref name="batch"/> samples; the returned buffer is reused by the next call.</summary>
    public double[] Forward(ReadOnlySpan<float> input, int batch)
    {
        Reserve(batch);
        var x = _activations[0];
        for (int i = 0; i < batch * InputSize; i++) x[i] = input[i];
        return ForwardFromBuffer(batch);
    }

    /// <summary>Logits of a batch given in double precision (finite-difference tests).</summary>
    public double[] Forward(ReadOnlySpan<double> input, int batch)
    {
        Reserve(batch);
        input.Slice(0, batch * InputSize).CopyTo(_activations[0]);
        return ForwardFromBuffer(batch);
    }

    private double[] ForwardFromBuffer(int batch)
    {
        for (int i = 0; i < Layers.Count; i++) Layers[i].Forward(_activations[i], _activations[i + 1], batch);
        return _activations[Layers.Count];
    }

    /// <summary>
    /// Adds dL/dparameter to every Grad, from dL/dlogits of the batch the last Forward ran; returns dL/dinput
    /// (a buffer reused by the next call).
    /// </summary>
    public double[] Backward(ReadOnlySpan<double> logitGradient, int batch)
    {
        logitGradient.Slice(0, batch * OutputSize).CopyTo(_gradients[Layers.Count]);
        for (int i = Layers.Count - 1; i >= 0; i--)
            Layers[i].Backward(_activations[i], _activations[i + 1], _gradients[i + 1], _gradients[i], batch);
        return _gradients[0];
    }

    public void ZeroGradients()
    {
        foreach (var p in Parameters) Array.Clear(p.Grad);
    }
}
