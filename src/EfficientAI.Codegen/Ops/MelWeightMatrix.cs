using System;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// MelWeightMatrix: [dft_length / 2 + 1, num_mel_bins] triangular filters between lower_edge_hertz and
/// upper_edge_hertz on the mel scale, as ONNX's reference computes them. Every input decides the values (two the
/// shape), so all must be constant: the op is folded.
/// </summary>
internal sealed class MelWeightMatrixOp : Operator
{
    public override string OpType => "MelWeightMatrix";

    public override bool SetsPrecision => true;

    public override void Infer(OpContext ctx)
    {
        long melBins = ctx.RequireConst(0, "num_mel_bins").GetLong(0);
        long dftLength = ctx.RequireConst(1, "dft_length").GetLong(0);
        double sampleRate = ctx.RequireConst(2, "sample_rate").GetDouble(0);
        double lower = ctx.RequireConst(3, "lower_edge_hertz").GetDouble(0), upper = ctx.RequireConst(4, "upper_edge_hertz").GetDouble(0);
        if (melBins <= 0 || dftLength <= 0 || sampleRate <= 0 || melBins > 1 << 16 || dftLength > 1 << 24) throw ctx.Fail("num_mel_bins, dft_length and sample_rate must be positive (and not huge)");
        var type = (DataType)ctx.Int("output_datatype", 1);
        if (!DataTypes.IsRuntimeType(type) && !DataTypes.IsHalf(type))
            throw new CompileError(DiagnosticDescriptors.UnsupportedType, $"{ctx.Node.Display}: output_datatype {DataTypes.Name(type)} is not supported");
        int spectrogramBins = (int)(dftLength / 2 + 1), mels = (int)melBins;
        double lowMel = 2595 * Math.Log10(1 + lower / 700), highMel = 2595 * Math.Log10(1 + upper / 700);
        double step = (highMel - lowMel) / (mels + 2);
        var edges = new int[mels + 2];
        for (int i = 0; i < edges.Length; i++)
        {
            double hertz = 700 * (Math.Pow(10, (i * step + lowMel) / 2595) - 1);
            edges[i] = (int)Math.Floor((dftLength + 1) * hertz / sampleRate);
        }
        var y = Tensor.Create(DataTypes.IsHalf(type) ? DataType.Float : type, new[] { spectrogramBins, mels });
        void Set(int bin, int mel, double v)
        {
            if (bin < 0 || bin >= spectrogramBins) throw ctx.Fail($"the filters reach frequency bin {bin}, outside the {spectrogramBins} of the spectrogram");
            y.Set(bin * mels + mel, Onnx.HalfPrecisionBoundary.Round(v, type));
        }
        for (int m = 0; m < mels; m++)
        {
            int low = edges[m], center = edges[m + 1], high = edges[m + 2];
            if (center == low) Set(center, m, 1);
            else for (int j = low; j <= center; j++) Set(j, m, (double)(j - low) / (center - low));
            if (high > center) for (int j = center; j < high; j++) Set(j, m, (double)(high - j) / (high - center));
        }
        ctx.SetConst(0, y);
        if (DataTypes.IsHalf(type)) ctx.Output(0).Precision = type;
    }

    public override bool TryEvaluate(OpContext ctx) => true;

    public override void Emit(EmitContext ctx) => throw ctx.Fail("MelWeightMatrix is always folded");
}
