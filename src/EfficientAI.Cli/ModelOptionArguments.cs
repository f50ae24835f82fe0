using System.Collections.Generic;
using System.CommandLine;
using System.Linq;
using System.Text;
using EfficientAI.Codegen;
using Microsoft.CodeAnalysis.Diagnostics;

namespace EfficientAI.Cli;

/// <summary>
/// The model options on the command line: one option per <see cref="ModelOptions.MetadataNames"/> entry, kebab-cased
/// (<c>ConstantInputs</c> -> <c>--constant-inputs</c>), read through <see cref="ModelOptions.From"/> exactly as the
/// generator reads item metadata, so an option added to the compiler appears here with no change.
/// </summary>
internal sealed class ModelOptionArguments
{
    /// <summary>Help text for the options known today; a new metadata name gets a generic line until it is described here.</summary>
    private static readonly Dictionary<string, string> s_descriptions = new()
    {
        ["ClassName"] = "The generated class (default: the file name in PascalCase).",
        ["Namespace"] = "Its namespace (default: EfficientAI.Generated).",
        ["Dims"] = "Sizes for symbolic dimensions by name: batch=1;sequence=512.",
        ["Shapes"] = "Whole shapes for inputs: input=1x512;state=2x1x128.",
        ["ConstantInputs"] = "Bind graph inputs to constants: sr=16000.",
        ["DisabledPasses"] = "Optional passes to switch off, ;-separated (README lists them), or all.",
        ["MaxRamBytes"] = "Fail when the arena is larger: 65536, 64K, 1.5M.",
        ["MaxRomBytes"] = "Fail when the embedded weights are larger.",
        ["Report"] = "md or html: also emit the report source a build writes beside its output (<Class>.report.md/.html and .svg).",
        ["Quantize"] = "int8: Conv/Gemm/MatMul on int8 weights with uint8 activations quantized per call (docs/compression.md).",
        ["MinSqnrDb"] = "With --quantize int8: layers whose int8 weights measure a lower SQNR in dB stay float (default 30).",
        ["Threads"] = "Threads the large Convs share: the caller and pool workers created once (default 1).",
        ["Prune"] = "Unstructured magnitude pruning of Conv/Gemm/MatMul weights to this sparsity, in [0, 1): 0.5 zeros half (docs/compression.md).",
        ["PruneScope"] = "With --prune: layer (each layer reaches the sparsity, default) or global (one magnitude ranking across layers).",
        ["PruneExclude"] = "With --prune/--prune-structured: a .NET regular expression; Conv/Gemm/MatMul whose node or weight name matches are not pruned.",
        ["PruneStructured"] = "Remove this fraction of each Conv/Gemm/MatMul's output channels (smallest L2 norms), in [0, 1), shrinking the next layer.",
        ["PruneBlock"] = "With --prune: Gemm/MatMul weights lose whole blocks of rows x 16 output columns (1x16, 4x16), so a block-sparse kernel skips them.",
    };

    private readonly List<(string Metadata, Option<string> Option)> _options;

    public ModelOptionArguments()
    {
        _options = ModelOptions.MetadataNames.Select(name => (name, new Option<string>("--" + Kebab(name))
        {
            Description = s_descriptions.TryGetValue(name, out var d) ? d : $"The {name} model option (item metadata {name}).",
            HelpName = "value",
        })).ToList();
    }

    public IEnumerable<Option<string>> Options => _options.Select(o => o.Option);

    public void AddTo(Command command)
    {
        foreach (var (_, option) in _options) command.Options.Add(option);
    }

    /// <summary>The options for a model as the generator would see them for an AdditionalFiles item with this metadata.</summary>
    public ModelOptions Read(ParseResult parse, string modelPath)
    {
        var metadata = new Dictionary<string, string>();
        foreach (var (name, option) in _options)
            if (parse.GetValue(option) is { } value) metadata["build_metadata.AdditionalFiles." + name] = value;
        return ModelOptions.From(modelPath, new MapOptions(metadata), new MapOptions(new Dictionary<string, string>()));
    }

    /// <summary>"ConstantInputs" -> "constant-inputs".</summary>
    public static string Kebab(string pascal)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            var ch = pascal[i];
            if (char.IsUpper(ch) && i > 0 && (char.IsLower(pascal[i - 1]) || (i + 1 < pascal.Length && char.IsLower(pascal[i + 1])))) sb.Append('-');
            sb.Append(char.ToLowerInvariant(ch));
        }
        return sb.ToString();
    }

    private sealed class MapOptions : AnalyzerConfigOptions
    {
        private readonly Dictionary<string, string> _values;
        public MapOptions(Dictionary<string, string> values) => _values = values;
        public override bool TryGetValue(string key, out string value) => _values.TryGetValue(key, out value!);
    }
}
