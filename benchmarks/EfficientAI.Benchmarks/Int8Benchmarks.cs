using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;

namespace EfficientAI.Benchmarks;

/// <summary>
/// The same models compiled twice, float and Quantize="int8" (dynamic activations, per-channel int8 weights), run in
/// one process on the same inputs: the ratio int8/float is the speed the quantization buys on this machine. The
/// setup reports how far the int8 outputs are from the float ones (cosine), so a fast wrong kernel shows.
/// </summary>
[MemoryDiagnoser]
public class Int8Benchmarks
{
    private Action _float = null!, _int8 = null!;

    public static IEnumerable<string> Models => Int8Cases.All.Select(c => c.Float.Name);

    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var (floatCase, int8Case) = Int8Cases.All.First(c => c.Float.Name == Model);
        var inputs = floatCase.Inputs.Where(i => !i.Bound).Select(i => i.Data).ToArray();
        var floatOut = Array.ConvertAll(floatCase.OutputLengths, n => new float[n]);
        var int8Out = Array.ConvertAll(int8Case.OutputLengths, n => new float[n]);
        _float = floatCase.Bind(inputs, floatOut);
        _int8 = int8Case.Bind(inputs, int8Out);
        _float();
        _int8();
        for (int o = 0; o < floatOut.Length; o++)
            Console.WriteLine($"// {Model} output {o}: cosine(int8, float) = {Cosine(floatOut[o], int8Out[o]):F5}");
    }

    private static double Cosine(float[] a, float[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += a[i] * (double)b[i]; aa += a[i] * (double)a[i]; bb += b[i] * (double)b[i]; }
        return ab / Math.Sqrt(aa * bb);
    }

    [Benchmark(Baseline = true, Description = "EfficientAI float")]
    public void Float() => _float();

    [Benchmark(Description = "EfficientAI int8")]
    public void Int8() => _int8();
}

/// <summary>Pairs of a float model case and its Quantize="int8" copy (same inputs).</summary>
public static class Int8Cases
{
    public static IReadOnlyList<(ModelCase Float, ModelCase Int8)> All { get; } = Build();

    private static List<(ModelCase, ModelCase)> Build()
    {
        var list = new List<(ModelCase, ModelCase)>();
        void Add(string name, Func<Array[], float[][], Action> bind, params int[] outputLengths)
        {
            var f = ModelCases.Find(name);
            list.Add((f, f with { Name = name + "_int8", OutputLengths = outputLengths, Bind = bind }));
        }
        Add("mlp_784_128_10", (i, o) => () => MlpInt8.Infer((float[])i[0], o[0]), MlpInt8.LogitsLength);
        Add("digits_cnn", (i, o) => () => DigitsCnnInt8.Infer((float[])i[0], o[0]), DigitsCnnInt8.LogitsLength);
#if DEV_MODELS
        Add("blazeface_128", (i, o) => () => BlazeFaceInt8.Infer((float[])i[0], o[0], o[1], o[2], o[3]),
            BlazeFaceInt8.Identity0Length, BlazeFaceInt8.Identity10Length, BlazeFaceInt8.Identity20Length, BlazeFaceInt8.Identity30Length);
        Add("mlsd_tiny_320", (i, o) => () => MlsdInt8.Infer((float[])i[0], o[0], o[1]), MlsdInt8.OffsetsLength, MlsdInt8.ScoresLength);
        Add("ppocr_cls", (i, o) => () => PpOcrClsInt8.Infer((float[])i[0], o[0]), PpOcrClsInt8.Softmax0Tmp0Length);
#endif
#if RESNET18
        Add("resnet18", (i, o) => () => ResNet18Int8.Infer((float[])i[0], o[0]), ResNet18Int8.Pooling395Output0Length);
#endif
        return list;
    }
}
