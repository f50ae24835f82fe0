using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;

namespace EfficientAI.Benchmarks;

/// <summary>
/// ONNX Runtime the fastest way its C# API allows: inputs and pre-allocated outputs bound once as OrtValues over
/// pinned managed arrays (IoBinding), so a run copies nothing and allocates nothing managed; intra-op threads set
/// explicitly (the default pins its worker badly on a 2-core machine).
/// </summary>
public sealed class OrtRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly List<OrtValue> _values = new();

    public OrtRunner(ModelCase model, int threads)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        _session = new InferenceSession(model.OnnxPath, options);
        _binding = _session.CreateIoBinding();
        var names = model.Inputs.Select(i => i.Name).ToArray();
        var inputs = model.Inputs.Select(i => i.Data switch
        {
            float[] f => OrtValue.CreateTensorValueFromMemory(f, i.Shape),
            long[] l => OrtValue.CreateTensorValueFromMemory(l, i.Shape),
            _ => throw new NotSupportedException(i.Data.GetType().Name),
        }).ToArray();
        _values.AddRange(inputs);
        for (int i = 0; i < names.Length; i++) _binding.BindInput(names[i], inputs[i]);

        // One plain run learns the output shapes; then outputs are bound to arrays of those shapes.
        var outputNames = _session.OutputNames.ToArray();
        using (var first = _session.Run(_runOptions, names, inputs, outputNames))
        {
            Outputs = new float[outputNames.Length][];
            for (int o = 0; o < outputNames.Length; o++)
            {
                var shape = first[o].GetTensorTypeAndShape().Shape;
                Outputs[o] = new float[shape.Aggregate(1L, (a, b) => a * b)];
                var value = OrtValue.CreateTensorValueFromMemory(Outputs[o], shape);
                _values.Add(value);
                _binding.BindOutput(outputNames[o], value);
            }
        }
    }

    public float[][] Outputs { get; }

    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    public void Dispose()
    {
        foreach (var v in _values) v.Dispose();
        _binding.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
