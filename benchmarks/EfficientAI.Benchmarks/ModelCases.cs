// The models both engines run: the ONNX file ONNX Runtime loads, the inputs (seeded, never all zero) and the
// call into the generated class. Output buffers are allocated once, outside the measured call.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

namespace EfficientAI.Benchmarks;

/// <summary>One input of a model as ONNX Runtime sees it; <see cref="Bound"/> inputs are constants in the generated code.</summary>
public sealed record ModelInput(string Name, Array Data, long[] Shape, bool Bound = false);

/// <summary>A model, its inputs and the generated Infer bound to pre-allocated arrays.</summary>
public sealed record ModelCase(string Name, string OnnxPath, ModelInput[] Inputs, int[] OutputLengths, Func<Array[], float[][], Action> Bind)
{
    public override string ToString() => Name;
}

public static class ModelCases
{
    private static string? Metadata(string key) =>
        typeof(ModelCases).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;

    private static string RepoFile(string relative) => Path.Combine(Metadata("RepoRoot")!, relative);

    /// <summary>Uniform floats in [lo, hi), seeded.</summary>
    public static float[] Uniform(int n, int seed, float lo, float hi)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (float)rng.NextDouble() * (hi - lo);
        return a;
    }

    private static ModelInput F(string name, int seed, float lo, float hi, params long[] shape) =>
        new(name, Uniform((int)shape.Aggregate(1L, (a, b) => a * b), seed, lo, hi), shape);

    /// <summary>Every model this build compiled, in a fixed order.</summary>
    public static IReadOnlyList<ModelCase> All { get; } = Build();

    public static ModelCase Find(string name) => All.First(c => c.Name == name);

    private static List<ModelCase> Build()
    {
        var list = new List<ModelCase>
        {
            new("mlp_784_128_10", RepoFile("benchmarks/EfficientAI.Benchmarks/models/mlp_784_128_10.onnx"),
                new[] { F("x", 1, -1f, 1f, 1, 784) }, new[] { Mlp.LogitsLength },
                (i, o) => () => Mlp.Infer((float[])i[0], o[0])),
            new("digits_cnn", RepoFile("models/digits_cnn.onnx"),
                new[] { F("image", 2, 0f, 1f, 1, 1, 8, 8) }, new[] { DigitsCnn.LogitsLength },
                (i, o) => () => DigitsCnn.Infer((float[])i[0], o[0])),
        };
#if DEV_MODELS
        string dev = Metadata("DevModelDir")!;
        list.Add(new("hello_deepa", Path.Combine(dev, "hello_deepa.onnx"),
            new[] { F("onnx::Flatten_0", 3, -1f, 1f, 1, 25, 96) }, new[] { HelloDeepa.T39Length },
            (i, o) => () => HelloDeepa.Infer((float[])i[0], o[0])));
        list.Add(new("silero_vad_op18", Path.Combine(dev, "silero_vad_op18_ifless.onnx"),
            new[] { F("input", 4, -0.5f, 0.5f, 1, 512), new ModelInput("sr", new[] { 16000L }, Array.Empty<long>(), Bound: true), F("state", 5, -1f, 1f, 2, 1, 128) },
            new[] { SileroVadOp18.OutputLength, SileroVadOp18.StateNLength },
            (i, o) => () => SileroVadOp18.Infer((float[])i[0], (float[])i[1], o[0], o[1])));
        list.Add(new("ResNetPreprocess", Path.Combine(dev, "ResNetPreprocess.onnx"),
            new[] { new ModelInput("OriginalInput", Uniform(3 * 224 * 224, 6, 0f, 256f).Select(MathF.Floor).ToArray(), new long[] { 1, 3, 224, 224 }) },
            new[] { ResNetPreprocess.PreprocessedInputLength },
            (i, o) => () => ResNetPreprocess.Infer((float[])i[0], o[0])));
        list.Add(new("ppocr_cls", Path.Combine(dev, "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
            new[] { F("x", 7, -1f, 1f, 1, 3, 48, 192) }, new[] { PpOcrCls.Softmax0Tmp0Length },
            (i, o) => () => PpOcrCls.Infer((float[])i[0], o[0])));
        list.Add(new("blazeface_128", Path.Combine(dev, "face_detection_front_128x128_barracuda.onnx"),
            new[] { F("input:0", 8, 0f, 1f, 1, 128, 128, 3) },
            new[] { BlazeFace.Identity0Length, BlazeFace.Identity10Length, BlazeFace.Identity20Length, BlazeFace.Identity30Length },
            (i, o) => () => BlazeFace.Infer((float[])i[0], o[0], o[1], o[2], o[3])));
        list.Add(new("mlsd_tiny_320", Path.Combine(dev, "mlsd_320x320_tiny.onnx"),
            new[] { F("input_image_with_alpha:0", 9, 0f, 255f, 1, 320, 320, 4) }, new[] { Mlsd.OffsetsLength, Mlsd.ScoresLength },
            (i, o) => () => Mlsd.Infer((float[])i[0], o[0], o[1])));
        list.Add(new("silero_vad_legacy", Path.Combine(dev, "silero_vad_legacy.onnx"),
            new[] { F("input", 4, -0.5f, 0.5f, 1, 512), new ModelInput("sr", new[] { 16000L }, Array.Empty<long>(), Bound: true), F("h", 5, -1f, 1f, 2, 1, 64), F("c", 6, -1f, 1f, 2, 1, 64) },
            new[] { SileroVadLegacy.OutputLength, SileroVadLegacy.HnLength, SileroVadLegacy.CnLength },
            (i, o) => () => SileroVadLegacy.Infer((float[])i[0], (float[])i[1], (float[])i[2], o[0], o[1], o[2])));
        // Threads="2": read against ORT with two threads.
        list.Add(new("blazeface_128_2t", Path.Combine(dev, "face_detection_front_128x128_barracuda.onnx"),
            new[] { F("input:0", 8, 0f, 1f, 1, 128, 128, 3) },
            new[] { BlazeFaceTwoThreads.Identity0Length, BlazeFaceTwoThreads.Identity10Length, BlazeFaceTwoThreads.Identity20Length, BlazeFaceTwoThreads.Identity30Length },
            (i, o) => () => BlazeFaceTwoThreads.Infer((float[])i[0], o[0], o[1], o[2], o[3])));
        list.Add(new("mlsd_tiny_320_2t", Path.Combine(dev, "mlsd_320x320_tiny.onnx"),
            new[] { F("input_image_with_alpha:0", 9, 0f, 255f, 1, 320, 320, 4) }, new[] { MlsdTwoThreads.OffsetsLength, MlsdTwoThreads.ScoresLength },
            (i, o) => () => MlsdTwoThreads.Infer((float[])i[0], o[0], o[1])));
#endif
#if RESNET18
        list.Add(new("resnet18", Metadata("ResNet18Onnx")!,
            new[] { F("Input247", 10, -1f, 1f, 1, 3, 224, 224) }, new[] { ResNet18.Pooling395Output0Length },
            (i, o) => () => ResNet18.Infer((float[])i[0], o[0])));
        list.Add(new("resnet18_2t", Metadata("ResNet18Onnx")!,
            new[] { F("Input247", 10, -1f, 1f, 1, 3, 224, 224) }, new[] { ResNet18TwoThreads.Pooling395Output0Length },
            (i, o) => () => ResNet18TwoThreads.Infer((float[])i[0], o[0])));
#endif
        return list;
    }
}
