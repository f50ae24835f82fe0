using Microsoft.CodeAnalysis;

namespace EfficientAI.Codegen.Diagnostics;

/// <summary>
/// Every diagnostic the compiler reports. Ids by stage: 00xx reading, 01xx unsupported op or opset,
/// 02xx shapes and types, 03xx quantization and pruning, 04xx planning and limits, 09xx internal.
/// Each message names the model (its location) and the node, and says what the user can do.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "EfficientAI.Codegen";

    public static readonly DiagnosticDescriptor UnreadableFile = Error("EAI0001", "Model file cannot be read",
        "Cannot read ONNX model '{0}': {1}. Check that the file exists and is readable.");

    public static readonly DiagnosticDescriptor MalformedModel = Error("EAI0002", "Model file is not valid ONNX",
        "'{0}' is not a valid ONNX model: {1}. Re-export the model or check that the file is not truncated or a Git LFS pointer.");

    public static readonly DiagnosticDescriptor InvalidOption = Error("EAI0003", "Invalid model option",
        "Invalid option for '{0}': {1}");

    public static readonly DiagnosticDescriptor ExternalDataRefused = Error("EAI0006", "External tensor data refused",
        "'{0}': tensor '{1}' stores its data externally and {2}. Keep external data files inside the model's folder, named by a relative path.");

    public static readonly DiagnosticDescriptor ModelSummary = new("EAI0005", "Model compiled",
        "Compiled '{0}' to {1}: {2}", Category, DiagnosticSeverity.Info, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedOp = Error("EAI0101", "Unsupported operator",
        "'{0}': operator {1} is not supported ({2}). Replace it in the exporter or file an issue with the model.");

    public static readonly DiagnosticDescriptor UnsupportedOpset = Error("EAI0102", "Unsupported opset",
        "'{0}': {1}");

    public static readonly DiagnosticDescriptor UnboundDimension = Error("EAI0201", "Unbound symbolic dimension",
        "'{0}': input '{1}' has dimension {2} ({3}) with no fixed size. Bind it with item metadata {4} on the model's AdditionalFiles item (or --dims/--shapes on the command line).");

    public static readonly DiagnosticDescriptor UnsupportedType = Error("EAI0202", "Unsupported element type",
        "'{0}': {1}");

    public static readonly DiagnosticDescriptor InvalidNode = Error("EAI0203", "Invalid node",
        "'{0}': {1}");

    public static readonly DiagnosticDescriptor DataDependentShape = Error("EAI0204", "Shape depends on run-time data",
        "'{0}': {1}. Make that input a constant (initializer or ConstantInputs metadata) so the shape is known at compile time.");

    public static readonly DiagnosticDescriptor CalibrationFileRefused = Error("EAI0301", "Calibration file refused",
        "'{0}': calibration file '{1}': {2}. Expected float32 samples for input '{3}' of shape {4}: a .npy array of shape [samples, ...] with one sample per leading index (numpy.save of a float32 array).");

    public static readonly DiagnosticDescriptor CalibrationFileMissing = Error("EAI0302", "Calibration file not found",
        "'{0}': Calibration names '{1}', which {2}. Add the .npy file to the project as <AdditionalFiles Include=\"...\" /> or correct the name.");

    public static readonly DiagnosticDescriptor CalibrationMismatch = Error("EAI0303", "Calibration data does not fit the model",
        "'{0}': {1}");

    public static readonly DiagnosticDescriptor CalibrationIgnored = new("EAI0304", "Calibration data unused",
        "'{0}': Calibration is set but Quantize is not int8, so the model stays float and its calibration files are not read. Set Quantize=\"int8\" to use them.",
        Category, DiagnosticSeverity.Info, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor QdqExportRefused = Error("EAI0305", "QDQ export refused",
        "'{0}': the quantized graph cannot be written as a QDQ ONNX model: {1}");

    public static readonly DiagnosticDescriptor QdqLayerLeftFloat = new("EAI0306", "QDQ layer left in float",
        "'{0}': {1}", Category, DiagnosticSeverity.Info, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidPruningOption = Error("EAI0350", "Invalid pruning option",
        "'{0}': pruning option {1}: {2}. Prune and PruneStructured take a fraction in [0, 1) (e.g. 0.5), PruneScope layer or global, PruneExclude a regular expression.");

    public static readonly DiagnosticDescriptor StructuredPruningSkipped = new("EAI0351", "Layer not structurally pruned",
        "'{0}': structured pruning left {1} whole: {2}", Category, DiagnosticSeverity.Info, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor LimitExceeded = Error("EAI0401", "Model exceeds a compiler limit",
        "'{0}': {1}");

    public static readonly DiagnosticDescriptor OverBudget = Error("EAI0402", "Model over its memory budget",
        "'{0}': {1}. Shrink the model (quantize, prune) or raise the budget.");

    public static readonly DiagnosticDescriptor MoeUnsupported = Error("EAI0450", "Unsupported mixture-of-experts configuration",
        "'{0}': {1}");

    public static readonly DiagnosticDescriptor MoePatternLeftAlone = new("EAI0451", "Mixture-of-experts pattern left alone",
        "'{0}': {1}", Category, DiagnosticSeverity.Info, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InternalError = Error("EAI0901", "Internal compiler error",
        "'{0}': internal error while compiling{1}: {2}. Please report it with the model.");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}

internal static class DiagnosticTable
{
    private static readonly System.Collections.Generic.Dictionary<string, DiagnosticDescriptor> s_byId = Build();

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    public static System.Collections.Generic.IEnumerable<DiagnosticDescriptor> All => s_byId.Values;

    private static System.Collections.Generic.Dictionary<string, DiagnosticDescriptor> Build()
    {
        var map = new System.Collections.Generic.Dictionary<string, DiagnosticDescriptor>();
        foreach (var f in typeof(DiagnosticDescriptors).GetFields())
            if (f.GetValue(null) is DiagnosticDescriptor d) map[d.Id] = d;
        return map;
    }
}
