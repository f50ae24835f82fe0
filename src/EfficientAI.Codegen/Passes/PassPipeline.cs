using System;
using System.Collections.Generic;
using System.Threading;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Passes;

/// <summary>The graph passes, in order. Each can be switched off by name with the DisabledPasses option ("all" disables every optional pass).</summary>
internal static class PassPipeline
{
    public static readonly string[] OptionalPasses =
    {
        "ConstantFolding", "CommonSubexpressionElimination", "PadIntoConv", "ConvBatchNormFusion", "MatMulAddToGemm", "TransposePairs", "DeadNodeElimination",
        "BiasAddFusion", "ScaleFolding", "ActivationFusion", "LayerNormalizationRecognition", "GeluRecognition", "HardSwishRecognition", "MoeRecognition", "ChannelsLastConvInput",
        "QdqToInt8", "SplitConcatToGather", "ResidualAddFusion",
        "InPlaceMemory", // read by the memory planner: element-wise outputs overwrite inputs that die there
    };

    public static Graph Run(Graph graph, ISet<string> disabled, CancellationToken ct, bool quantizeInt8 = false, double minSqnrDb = Int8Quantization.DefaultMinSqnrDb,
        Onnx.CalibrationSet? calibration = null, CalibrationMethod? calibrationMethod = null,
        PruneSettings? pruning = null)
    {
        // Passes are linear walks; cancellation is checked between them (and inside ShapeInference and the planner).
        bool On(string pass)
        {
            ct.ThrowIfCancellationRequested();
            return !disabled.Contains(pass) && !disabled.Contains("all");
        }
        // The sparse MoE export has data-dependent shapes (NonZero) that shape inference cannot give static sizes.
        if (On("MoeRecognition")) graph = MoeRecognition.RunSparse(graph, ct);
        // Before folding turns the weights' DequantizeLinear into float weights: pre-quantized layers onto the int8 kernels.
        if (On("QdqToInt8")) graph = QdqToInt8.Run(graph);
        // Shape inference always runs (every later stage needs static shapes); folding is optional.
        graph = ShapeInference.Run(graph, On("ConstantFolding"), ct);
        if (On("CommonSubexpressionElimination")) graph = CommonSubexpressionElimination.Run(graph);
        if (On("SplitConcatToGather")) graph = SplitConcatToGather.Run(graph);
        // Before the activation fusion and Gemm rewrites change the experts' Gemm -> Relu -> Gemm.
        if (On("MoeRecognition")) graph = MoeRecognition.Run(graph);
        if (On("LayerNormalizationRecognition")) graph = LayerNormalizationRecognition.Run(graph);
        if (On("GeluRecognition")) graph = GeluRecognition.Run(graph);
        if (On("HardSwishRecognition")) graph = HardSwishRecognition.Run(graph);
        if (On("PadIntoConv")) graph = PadIntoConv.Run(graph);
        if (On("ConvBatchNormFusion")) graph = ConvBatchNormFusion.Run(graph);
        if (On("MatMulAddToGemm")) graph = MatMulAddToGemm.Run(graph);
        // Bias adds and scales alternate until neither folds more (Conv -> Mul -> Add -> Mul ...).
        for (int before = -1; before != graph.Nodes.Count;)
        {
            before = graph.Nodes.Count;
            if (On("BiasAddFusion")) graph = BiasAddFusion.Run(graph);
            if (On("ScaleFolding")) graph = ScaleFolding.Run(graph);
        }
        if (On("ActivationFusion")) graph = ActivationFusion.Run(graph);
        if (On("TransposePairs")) graph = TransposePairs.Run(graph);
        // Prune/PruneStructured (asked for by their own options): after BatchNorm folding and fusion, so the weights pruned
        // are the ones that run; before quantization, which keeps zeros exact.
        if (pruning is { Structured: true }) graph = StructuredPruning.Run(graph, pruning);
        if (pruning is { Unstructured: true }) graph = MagnitudePruning.Run(graph, pruning);
        // Quantize="int8" (not optional in the DisabledPasses sense: it is asked for by its own option).
        // With calibration data the float graph runs at compile time on the samples: static activation scales.
        if (quantizeInt8) graph = Int8Quantization.Run(graph, minSqnrDb, calibration, calibrationMethod, ct);
        // After quantization: only the float Conv kernel gathers from NHWC.
        if (On("ChannelsLastConvInput")) graph = ChannelsLastConvInput.Run(graph);
        // After quantization and the NHWC input fold: only a float NCHW 1x1 Conv takes a residual.
        if (On("ResidualAddFusion")) graph = ResidualAddFusion.Run(graph);
        if (On("DeadNodeElimination")) graph = DeadNodeElimination.Run(graph);
        return graph;
    }
}
