using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using EfficientAI.Codegen;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Model;
using EfficientAI.Cli.Validation;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EfficientAI.Distill;

/// <summary>A model with one float input and one float output, run on a batch of samples stored one after another.</summary>
internal interface IModelEngine : IDisposable
{
    string InputName { get; }
    string OutputName { get; }
    /// <summary>The input shape without the batch dimension.</summary>
    int[] SampleShape { get; }
    int Classes { get; }
    /// <summary>[count, Classes] outputs of [count, SampleShape] inputs.</summary>
    float[] Run(float[] samples, int count);
}

/// <summary>ONNX Runtime (CPU, one thread). A batch dimension of 1 runs sample by sample, a symbolic one in chunks.</summary>
internal sealed class OrtEngine : IModelEngine
{
    private const int Chunk = 128;
    private readonly InferenceSession _session;
    private readonly bool _batched;

    public OrtEngine(byte[] model, string what)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        try
        {
            _session = new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new DistillException(ExitCodes.ModelError, $"ONNX Runtime cannot load {what}: {e.Message}");
        }
        if (_session.InputMetadata.Count != 1 || _session.OutputMetadata.Count < 1)
            throw Fail(what, $"has {_session.InputMetadata.Count} inputs and {_session.OutputMetadata.Count} outputs; a teacher takes one input and gives class scores as its first output");
        var (inputName, input) = _session.InputMetadata.First();
        var (outputName, output) = _session.OutputMetadata.First();
        if (input.ElementType != typeof(float) || output.ElementType != typeof(float))
            throw Fail(what, $"input '{inputName}' is {input.ElementType.Name} and output '{outputName}' {output.ElementType.Name}; both must be float32");
        var dims = input.Dimensions;
        if (dims.Length < 2) throw Fail(what, $"input '{inputName}' has shape [{string.Join(",", dims)}]; expected [N, ...] with a batch dimension");
        if (dims[0] > 1) throw Fail(what, $"input '{inputName}' has a fixed batch of {dims[0]}; expected 1 or a symbolic batch");
        if (dims.Skip(1).Any(d => d < 1)) throw Fail(what, $"input '{inputName}' has symbolic dimensions besides the batch ([{string.Join(",", input.SymbolicDimensions.Select((s, i) => dims[i] < 0 ? s : dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture)))}])");
        var outDims = output.Dimensions;
        if (outDims.Length != 2 || outDims[1] < 2) throw Fail(what, $"output '{outputName}' has shape [{string.Join(",", outDims)}]; expected [N, classes] with at least 2 classes");
        (InputName, OutputName, SampleShape, Classes, _batched) = (inputName, outputName, dims.Skip(1).ToArray(), outDims[1], dims[0] < 0);
    }

    private static DistillException Fail(string what, string why) => new(ExitCodes.ModelError, $"{what} {why}");

    public string InputName { get; }
    public string OutputName { get; }
    public int[] SampleShape { get; }
    public int Classes { get; }

    public float[] Run(float[] samples, int count)
    {
        int size = SampleShape.Aggregate(1, (a, b) => a * b);
        var result = new float[count * Classes];
        int chunk = _batched ? Chunk : 1;
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            var tensor = new DenseTensor<float>(samples.AsMemory(start * size, n * size), new[] { n }.Concat(SampleShape).ToArray());
            using var outputs = _session.Run(new[] { NamedOnnxValue.CreateFromTensor(InputName, tensor) }, new[] { OutputName });
            var values = ((DenseTensor<float>)outputs.First().Value).Buffer.Span;
            if (values.Length != n * Classes) throw new DistillException(ExitCodes.ModelError, $"the teacher gave {values.Length} values for {n} samples; expected {n * Classes}");
            values.CopyTo(result.AsSpan(start * Classes));
        }
        return result;
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>
/// The model compiled by the generator in-process (as a build would), the sources compiled with Roslyn and loaded,
/// with a shim that calls Infer on arrays. Sample by sample: the generated code has batch 1.
/// </summary>
internal sealed class GeneratedEngine : IModelEngine
{
    private const string ShimName = "EaiDistillShim";
    private readonly Action<float[], float[]> _run;
    private readonly Func<float[], float[], int, double[]> _time;

    private GeneratedEngine(Type shim, string inputName, string outputName, int[] sampleShape, int classes, ModelFigures figures)
    {
        _run = shim.GetMethod("Run")!.CreateDelegate<Action<float[], float[]>>();
        _time = shim.GetMethod("Time")!.CreateDelegate<Func<float[], float[], int, double[]>>();
        (InputName, OutputName, SampleShape, Classes, Figures) = (inputName, outputName, sampleShape, classes, figures);
    }

    public string InputName { get; }
    public string OutputName { get; }
    public int[] SampleShape { get; }
    public int Classes { get; }
    /// <summary>Arena (RAM), weights (ROM) and MACs as the compiler planned them.</summary>
    public ModelFigures Figures { get; }

    /// <summary>Compiles <paramref name="model"/> with the generator; <paramref name="configure"/> sets options (Quantize, Prune, ...).</summary>
    public static GeneratedEngine Compile(string path, byte[] model, Func<ModelOptions, ModelOptions>? configure = null)
    {
        var options = ModelOptions.Default(path) with { ClassName = "DistillModel", Namespace = "EaiDistill" };
        if (configure is not null) options = configure(options);
        var file = new ModelFile(Path.GetFullPath(path), model.ToEquatableArray(), null);
        var result = ModelCompiler.CompileDetailed(new ModelRequest(file, options), CancellationToken.None);
        var errors = result.Output.Diagnostics.Where(d => d.IsError).ToList();
        if (errors.Count > 0 || result.Graph is null || result.Figures is null)
            throw new DistillException(ExitCodes.ModelError, $"the generator cannot compile '{path}':\n  " + string.Join("\n  ", errors.Select(d => d.Format())));
        var graph = result.Graph;
        if (graph.Inputs.Count != 1 || graph.Outputs.Count != 1)
            throw new DistillException(ExitCodes.ModelError, $"'{path}' has {graph.Inputs.Count} inputs and {graph.Outputs.Count} outputs; one of each is expected");
        var input = graph.Values[graph.Inputs[0]];
        var output = graph.Values[graph.Outputs[0]];
        if (input.Type != Codegen.Ir.DataType.Float || output.Type != Codegen.Ir.DataType.Float)
            throw new DistillException(ExitCodes.ModelError, $"'{path}': input and output must be float32");
        var inShape = input.RequireShape;
        var outShape = output.RequireShape;
        if (inShape.Length < 2 || inShape[0] != 1 || outShape.Length != 2 || outShape[0] != 1)
            throw new DistillException(ExitCodes.ModelError, $"'{path}': expected input [1, ...] and output [1, classes], got [{string.Join(",", inShape)}] and [{string.Join(",", outShape)}]");
        string fq = "global::" + options.Namespace + "." + options.ClassName;
        var shim = $$"""
            public static class {{ShimName}}
            {
                public static void Run(float[] input, float[] output) => {{fq}}.Infer(input, output);
                public static double[] Time(float[] input, float[] output, int runs)
                {
                    var times = new double[runs];
                    for (int n = 0; n < runs; n++)
                    {
                        long start = global::System.Diagnostics.Stopwatch.GetTimestamp();
                        {{fq}}.Infer(input, output);
                        // From the raw timestamps: a TimeSpan would round to 100 ns, coarser than a small student's call.
                        times[n] = (global::System.Diagnostics.Stopwatch.GetTimestamp() - start) * 1000.0 / global::System.Diagnostics.Stopwatch.Frequency;
                    }
                    return times;
                }
            }
            """;
        var assembly = InMemoryAssembly.CompileAndLoad("EaiDistill_", result.Output.Sources, shim, out var compileErrors)
            ?? throw new DistillException(ExitCodes.InternalError, "the generated code does not compile (a compiler bug):\n  " + compileErrors);
        return new GeneratedEngine(assembly.GetType(ShimName)!, input.Name, output.Name, inShape.Skip(1).ToArray(), outShape[1], result.Figures);
    }

    public float[] Run(float[] samples, int count)
    {
        int size = SampleShape.Aggregate(1, (a, b) => a * b);
        var input = new float[size];
        var output = new float[Classes];
        var result = new float[count * Classes];
        for (int i = 0; i < count; i++)
        {
            Array.Copy(samples, i * size, input, 0, size);
            _run(input, output);
            output.CopyTo(result, i * Classes);
        }
        return result;
    }

    /// <summary>Milliseconds per call for <paramref name="runs"/> calls on one sample.</summary>
    public double[] Time(float[] sample, int runs) => _time(sample, new float[Classes], runs);

    public void Dispose() { }
}
