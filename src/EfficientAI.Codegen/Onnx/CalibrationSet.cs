using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Model;

namespace EfficientAI.Codegen.Onnx;

/// <summary>
/// Calibration samples per graph input, read from the .npy AdditionalFiles the Calibration option names. Each file
/// holds samples along its leading axis; several files for one input are concatenated in the order named.
/// </summary>
internal sealed class CalibrationSet
{
    private CalibrationSet(Dictionary<string, List<float[]>> samples, int count)
    {
        Samples = samples;
        Count = count;
    }

    /// <summary>Per graph input, one float array (the input's whole shape) per sample.</summary>
    public Dictionary<string, List<float[]>> Samples { get; }

    public int Count { get; }

    /// <summary>True when the AdditionalFile at path is the one a Calibration entry names: the same path, or a path ending in "/" + name.</summary>
    public static bool Matches(string name, string path)
    {
        var n = name.Replace('\\', '/').TrimStart('.', '/');
        var p = path.Replace('\\', '/');
        return n.Length > 0 && (p.Equals(n, StringComparison.OrdinalIgnoreCase) || p.EndsWith("/" + n, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>"[samples,1,1,8,8] (or [samples,1,8,8])": the file shapes accepted for an input shape.</summary>
    private static string Expected(int[] shape)
    {
        string Of(int[] s) => s.Length == 0 ? "[samples]" : "[samples," + Shape.Format(s).Substring(1);
        return shape.Length >= 1 && shape[0] == 1 ? $"{Of(shape)} (or {Of(shape.Skip(1).ToArray())})" : Of(shape);
    }

    /// <summary>The samples for the model's inputs, or a CompileError (EAI0301-EAI0303) naming the file and the expected shape.</summary>
    public static CalibrationSet Load(Graph graph, ModelOptions options, EquatableArray<ModelFile> files)
    {
        var entries = options.ParseCalibration();
        var inputs = graph.Inputs.Where(i => graph.Values[i].Constant is null).ToList();
        var samples = new Dictionary<string, List<float[]>>(StringComparer.Ordinal);
        var sources = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (inputName, fileName) in entries)
        {
            string input;
            if (inputName is null)
            {
                if (inputs.Count != 1)
                    throw new CompileError(DiagnosticDescriptors.CalibrationMismatch,
                        $"Calibration entry '{fileName}' names no input, but the model has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => "'" + i + "'"))}); write input=file.npy");
                input = inputs[0];
            }
            else if (!inputs.Contains(inputName))
                throw new CompileError(DiagnosticDescriptors.CalibrationMismatch,
                    $"Calibration entry '{inputName}={fileName}' names no input of the model (inputs: {string.Join(", ", inputs.Select(i => "'" + i + "'"))})");
            else input = inputName;

            var matches = files.Where(f => Matches(fileName, f.Path)).ToList();
            if (matches.Count == 0)
                throw new CompileError(DiagnosticDescriptors.CalibrationFileMissing, new[] { fileName, "matches no AdditionalFiles item" });
            if (matches.Count > 1)
                throw new CompileError(DiagnosticDescriptors.CalibrationFileMissing, new[] { fileName,
                    $"matches {matches.Count} AdditionalFiles items ({string.Join(", ", matches.Select(m => "'" + m.Path + "'"))}); give more of its path" });
            var file = matches[0];
            var value = graph.Values[input];
            var shape = value.RequireShape;
            CompileError Refuse(string why) =>
                new(DiagnosticDescriptors.CalibrationFileRefused, new[] { fileName, why, input, Expected(shape) });
            if (value.Type != DataType.Float) throw Refuse($"input '{input}' is {DataTypes.Name(value.Type)}, and only float inputs are calibrated");
            if (file.ReadError is { } error) throw Refuse("it cannot be read: " + error);
            int[] fileShape;
            float[] data;
            try
            {
                (fileShape, data) = NpyReader.Read(file.Bytes.AsSpan());
            }
            catch (NpyReader.NpyException e)
            {
                throw Refuse(e.Message);
            }
            var sampleShape = fileShape.Skip(1).ToArray();
            bool fits = fileShape.Length >= 1 && (sampleShape.SequenceEqual(shape) || (shape.Length >= 1 && shape[0] == 1 && sampleShape.SequenceEqual(shape.Skip(1))));
            if (!fits) throw Refuse($"it holds an array of shape {Shape.Format(fileShape)}");
            if (fileShape[0] == 0 || data.Length == 0) throw Refuse($"it holds no samples (shape {Shape.Format(fileShape)})");
            for (int i = 0; i < data.Length; i++)
                if (float.IsNaN(data[i]) || float.IsInfinity(data[i]))
                {
                    int size = data.Length / fileShape[0];
                    throw Refuse($"sample {i / size} holds {(float.IsNaN(data[i]) ? "NaN" : "an infinity")} at element {i % size}");
                }
            if (!samples.TryGetValue(input, out var list))
            {
                samples[input] = list = new List<float[]>();
                sources[input] = new List<string>();
            }
            int per = data.Length / fileShape[0];
            for (int s = 0; s < fileShape[0]; s++)
            {
                var sample = new float[per];
                Array.Copy(data, s * per, sample, 0, per);
                list.Add(sample);
            }
            sources[input].Add(fileName);
        }
        foreach (var input in inputs)
            if (!samples.ContainsKey(input))
                throw new CompileError(DiagnosticDescriptors.CalibrationMismatch, $"Calibration gives no samples for input '{input}' {Shape.Format(graph.Values[input].RequireShape)}; add input=file.npy entries for every input");
        var counts = samples.Select(kv => (kv.Key, kv.Value.Count)).Distinct().ToList();
        if (counts.Select(c => c.Count).Distinct().Count() > 1)
            throw new CompileError(DiagnosticDescriptors.CalibrationMismatch,
                "Calibration gives different numbers of samples per input: " + string.Join(", ", counts.Select(c => $"'{c.Key}' {c.Count} ({string.Join(" + ", sources[c.Key])})")) + "; every input needs one value per sample");
        return new CalibrationSet(samples, counts.Count == 0 ? 0 : counts[0].Count);
    }
}
