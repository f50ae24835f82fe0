using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using EfficientAI.Codegen.Ir;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EfficientAI.Cli.Validation;

/// <summary>The reference: ONNX Runtime (CPU, one intra-op thread like the generated code, all graph optimizations).</summary>
internal sealed class OrtModel : IDisposable
{
    private readonly InferenceSession _session;

    public OrtModel(byte[] model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR }; // its warnings (unused initializers) are not ours to print
        try
        {
            _session = new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new CliException(ExitCodes.UsageError, "ONNX Runtime cannot load the model: " + e.Message);
        }
    }

    public IReadOnlyList<string> InputNames => _session.InputNames;

    /// <summary>Runs once; outputs in the order asked, as typed arrays.</summary>
    public Array[] Run(IReadOnlyList<TensorData> inputs, IReadOnlyList<string> outputNames)
    {
        var feeds = inputs.Select(Feed).ToList();
        try
        {
            using var results = _session.Run(feeds, outputNames);
            return results.Select(r => r.Value switch
            {
                Tensor<float> t => (Array)t.ToArray(),
                Tensor<double> t => t.ToArray(),
                Tensor<long> t => t.ToArray(),
                Tensor<int> t => t.ToArray(),
                Tensor<short> t => t.ToArray(),
                Tensor<sbyte> t => t.ToArray(),
                Tensor<byte> t => t.ToArray(),
                Tensor<ushort> t => t.ToArray(),
                Tensor<uint> t => t.ToArray(),
                Tensor<ulong> t => t.ToArray(),
                Tensor<bool> t => t.ToArray(),
                _ => throw new CliException(ExitCodes.UsageError, $"ONNX Runtime output '{r.Name}' is a {r.Value?.GetType().Name}, which validate cannot compare"),
            }).ToArray();
        }
        catch (OnnxRuntimeException e)
        {
            throw new CliException(ExitCodes.UsageError, "ONNX Runtime cannot run the model on these inputs: " + e.Message);
        }
    }

    /// <summary>Milliseconds per call, one entry per run.</summary>
    public double[] Time(IReadOnlyList<TensorData> inputs, IReadOnlyList<string> outputNames, int runs)
    {
        var feeds = inputs.Select(Feed).ToList();
        var times = new double[runs];
        for (int n = 0; n < runs; n++)
        {
            long start = Stopwatch.GetTimestamp();
            using (_session.Run(feeds, outputNames)) { }
            times[n] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return times;
    }

    private static NamedOnnxValue Feed(TensorData t) => t.Data switch
    {
        float[] a => NamedOnnxValue.CreateFromTensor(t.Name, new DenseTensor<float>(a, t.Shape)),
        double[] a => NamedOnnxValue.CreateFromTensor(t.Name, new DenseTensor<double>(a, t.Shape)),
        long[] a => NamedOnnxValue.CreateFromTensor(t.Name, new DenseTensor<long>(a, t.Shape)),
        int[] a => NamedOnnxValue.CreateFromTensor(t.Name, new DenseTensor<int>(a, t.Shape)),
        short[] a => NamedOnnxValue.CreateFromTensor(t.Name, new DenseTensor<short>(a, t.Shape)),
        sbyte[] a => NamedOnnxValue.CreateFromTensor(t.Name, new DenseTensor<sbyte>(a, t.Shape)),
        byte[] a => NamedOnnxValue.CreateFromTensor(t.Name, new DenseTensor<byte>(a, t.Shape)),
        ushort[] a => NamedOnnxValue.CreateFromTensor(t.Name, new DenseTensor<ushort>(a, t.Shape)),
        uint[] a => NamedOnnxValue.CreateFromTensor(t.Name, new DenseTensor<uint>(a, t.Shape)),
        ulong[] a => NamedOnnxValue.CreateFromTensor(t.Name, new DenseTensor<ulong>(a, t.Shape)),
        bool[] a => NamedOnnxValue.CreateFromTensor(t.Name, new DenseTensor<bool>(a, t.Shape)),
        _ => throw new CliException(ExitCodes.UsageError, $"input '{t.Name}': element type {DataTypes.Name(t.Type)} cannot be fed to ONNX Runtime"),
    };

    public void Dispose() => _session.Dispose();
}
