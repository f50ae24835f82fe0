// Mixture of experts on 8-bit experts at the size (H = 512, I = 2048, k = 2): ours is
// Runtime.MixtureOfExperts.ComputeInt8, the one call the generated code makes for a com.microsoft::QMoE node (its
// integers q - 128 and scales packed as QuantizedMoEOp packs them, Int8PanelGemm's panels), against ONNX Runtime's QMoE
// kernel on the same quantized weights and against ONNX Runtime's float MoE kernel on the float weights they were
// quantized from (1 intra-op thread each). The layers come from
// `models/make_moe.py --layer .cache/moe-layer --hidden 512 --inter 2048` (moe_qlayer_*: the QMoE graph and its raw
// .qbin; moe_layer_*: the float layer), read at run time rather than compiled in (E = 32 is 67 MB of int8 weights).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using EfficientAI.Runtime;

namespace EfficientAI.Benchmarks;

[MemoryDiagnoser]
public class QMoeLayerBenchmarks
{
    public const int Hidden = MoeLayerBenchmarks.Hidden, Inter = MoeLayerBenchmarks.Inter, K = MoeLayerBenchmarks.K;

    public static IEnumerable<int> ExpertCounts => new[] { 4, 8, 16, 32 };

    /// <summary>1 and 16 tokens, or the comma-separated list in EAI_MOE_TOKENS.</summary>
    public static IEnumerable<int> TokenCounts => Environment.GetEnvironmentVariable("EAI_MOE_TOKENS") is { Length: > 0 } ? MoeLayerBenchmarks.Tokens() : new[] { 1, 16 };

    [ParamsSource(nameof(ExpertCounts))]
    public int E { get; set; }

    [ParamsSource(nameof(TokenCounts))]
    public int T { get; set; }

    private float[] _x = null!, _logits = null!, _s1 = null!, _b1 = null!, _s2 = null!, _b2 = null!, _y = null!, _scratch = null!;
    private sbyte[] _fc1 = null!, _fc2 = null!;
    private int[] _sums1 = null!, _sums2 = null!;
    private OrtRunner _qmoe = null!, _moe = null!;

    internal static string QStem(int e) => Path.Combine(MoeLayerBenchmarks.LayerDir, $"moe_qlayer_h{Hidden}_i{Inter}_e{e}");

    [GlobalSetup]
    public void Setup()
    {
        var qbin = QStem(E) + ".qbin";
        if (!File.Exists(qbin) || !File.Exists(MoeLayerBenchmarks.Stem(E) + ".onnx"))
            throw new InvalidOperationException($"{qbin} is missing: run /usr/bin/python3 models/make_moe.py --layer .cache/moe-layer --hidden {Hidden} --inter {Inter}");
        // fc1 uint8 [E, I, H], fc1 scales [E, I], fc1 bias [E, I], fc2 uint8 [E, H, I], fc2 scales [E, H], fc2 bias [E, H].
        var all = File.ReadAllBytes(qbin);
        int w = E * Inter * Hidden, at = 0;
        if (all.Length != 2 * w + 4 * 2 * E * (Inter + Hidden)) throw new InvalidOperationException($"{qbin}: {all.Length} bytes, expected {2 * w + 8 * E * (Inter + Hidden)}");
        byte[] Bytes(int n) { var b = all.AsSpan(at, n).ToArray(); at += n; return b; }
        float[] Floats(int n) { var f = MemoryMarshal.Cast<byte, float>(all.AsSpan(at, 4 * n)).ToArray(); at += 4 * n; return f; }
        var q1 = Bytes(w);
        _s1 = Floats(E * Inter);
        _b1 = Floats(E * Inter);
        var q2 = Bytes(w);
        _s2 = Floats(E * Hidden);
        _b2 = Floats(E * Hidden);
        // As QMoEOp and QuantizedMoEOp compile it: q - 128 as int8, panel-packed per expert, with column sums.
        int p1 = Int8PanelGemm.PackedLength(Hidden, Inter), p2 = Int8PanelGemm.PackedLength(Inter, Hidden);
        _fc1 = new sbyte[E * p1];
        _fc2 = new sbyte[E * p2];
        _sums1 = new int[E * Inter];
        _sums2 = new int[E * Hidden];
        var signed1 = q1.Select(v => (sbyte)(v - 128)).ToArray();
        var signed2 = q2.Select(v => (sbyte)(v - 128)).ToArray();
        for (int e = 0; e < E; e++)
        {
            Int8PanelGemm.PackB(signed1.AsSpan(e * Inter * Hidden, Inter * Hidden), true, Hidden, Inter, _fc1.AsSpan(e * p1, p1), _sums1.AsSpan(e * Inter, Inter));
            Int8PanelGemm.PackB(signed2.AsSpan(e * Hidden * Inter, Hidden * Inter), true, Inter, Hidden, _fc2.AsSpan(e * p2, p2), _sums2.AsSpan(e * Hidden, Hidden));
        }
        _x = ModelCases.Uniform(T * Hidden, 11, -1f, 1f);
        _logits = ModelCases.Uniform(T * E, 12, -2f, 2f);
        _y = new float[T * Hidden];
        _scratch = new float[MixtureOfExperts.ScratchFloatsInt8(T, E, K, Hidden, Inter)];
        var inputs = new[] { new ModelInput("input", _x, new long[] { T, Hidden }), new ModelInput("router_logits", _logits, new long[] { T, E }) };
        _qmoe = new OrtRunner(new ModelCase($"qmoe_layer_e{E}_t{T}", QStem(E) + ".onnx", inputs, new[] { T * Hidden }, (_, _) => () => { }), 1);
        _moe = new OrtRunner(new ModelCase($"moe_layer_e{E}_t{T}", MoeLayerBenchmarks.Stem(E) + ".onnx", inputs, new[] { T * Hidden }, (_, _) => () => { }), 1);
        Ours();
        _qmoe.Run();
        _moe.Run();
        // Ours quantizes the activations per call where ORT's QMoE keeps them float: agreement as an error RMS relative
        // to the output's RMS (the tests' bound, 1.5%), not per element.
        var expected = _qmoe.Outputs[0];
        double rms = Math.Sqrt(expected.Average(v => (double)v * v));
        double err = Math.Sqrt(expected.Zip(_y, (e, a) => (double)(e - a) * (e - a)).Average());
        if (!(rms > 0 && err < 0.015 * rms)) throw new InvalidOperationException($"qmoe_layer_e{E}_t{T}: error RMS {err:G3} vs output RMS {rms:G3} against ORT's QMoE");
        Console.WriteLine($"// qmoe_layer_e{E}_t{T}: ours vs ORT QMoE error RMS {err / rms:P2} of the output's RMS");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _qmoe.Dispose();
        _moe.Dispose();
    }

    [Benchmark(Description = "EfficientAI, QMoE on int8 experts")]
    public void Ours() => MixtureOfExperts.ComputeInt8(_x, _logits, _fc1, _sums1, _s1, _b1, _fc2, _sums2, _s2, _b2, _y, _scratch,
        T, E, K, Hidden, Inter, ExpertActivation.Relu, normalize: true);

    [Benchmark(Baseline = true, Description = "ORT 1 thread, QMoE kernel (8-bit)")]
    public void OrtQMoe() => _qmoe.Run();

    [Benchmark(Description = "ORT 1 thread, MoE kernel (float)")]
    public void OrtMoe() => _moe.Run();
}
