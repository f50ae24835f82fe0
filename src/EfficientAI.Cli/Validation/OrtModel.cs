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
                Tensor<Float16> t => t.ToArray().Select(v => (float)BitConverter.UInt16BitsToHalf(v.value)).ToArray(),
                Tensor<BFloat16> t => t.ToArray().Select(v => HalfArrays.FromBFloat16(v.value)).ToArray(),
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

    // By element type, not by array pattern: the CLR lets a uint[] pass as an int[] (and byte[] as sbyte[]).
    private static NamedOnnxValue Feed(TensorData t) => t.Type switch
    {
        DataType.Float => Create((float[])t.Data, t),
        DataType.Double => Create((double[])t.Data, t),
        DataType.Int64 => Create((long[])t.Data, t),
        DataType.Int32 => Create((int[])t.Data, t),
        DataType.Int16 => Create((short[])t.Data, t),
        DataType.Int8 => Create((sbyte[])t.Data, t),
        DataType.UInt8 => Create((byte[])t.Data, t),
        DataType.UInt16 => Create((ushort[])t.Data, t),
        DataType.UInt32 => Create((uint[])t.Data, t),
        DataType.UInt64 => Create((ulong[])t.Data, t),
        DataType.Bool => Create((bool[])t.Data, t),
        DataType.Float16 => Create(((float[])t.Data).Select(v => new Float16(BitConverter.HalfToUInt16Bits((Half)v))).ToArray(), t),
        DataType.BFloat16 => Create(((float[])t.Data).Select(v => new BFloat16(HalfArrays.ToBFloat16(v))).ToArray(), t),
        _ => throw new CliException(ExitCodes.UsageError, $"input '{t.Name}': element type {DataTypes.Name(t.Type)} cannot be fed to ONNX Runtime"),
    };

    private static NamedOnnxValue Create<T>(T[] data, TensorData t) => NamedOnnxValue.CreateFromTensor(t.Name, new DenseTensor<T>(data, t.Shape));

    public void Dispose() => _session.Dispose();
}
