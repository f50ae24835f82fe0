using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using EfficientAI.Codegen.Diagnostics;
using Microsoft.CodeAnalysis.Diagnostics;

namespace EfficientAI.Codegen;

/// <summary>
/// Per-model options, read from AdditionalFiles item metadata (and the same names on the command line).
/// All values are kept as the user wrote them so the record compares by value; parsing happens in the compiler.
/// </summary>
internal sealed record ModelOptions(
    string ClassName,
    string Namespace,
    string Dims,
    string Shapes,
    string ConstantInputs,
    string DisabledPasses,
    string MaxRamBytes = "",
    string MaxRomBytes = "",
    string Quantize = "",
    string MinSqnrDb = "",
    string Report = "",
    string Calibration = "",
    string CalibrationMethod = "",
    string Threads = "",
    string Prune = "",
    string PruneScope = "",
    string PruneExclude = "",
    string PruneStructured = "",
    string PruneBlock = "")
{
    /// <summary>The item metadata names, in the order documented. The props file and the CLI both derive from this list.</summary>
    public static readonly string[] MetadataNames = { "ClassName", "Namespace", "Dims", "Shapes", "ConstantInputs", "DisabledPasses", "MaxRamBytes", "MaxRomBytes", "Quantize", "MinSqnrDb", "Report", "Calibration", "CalibrationMethod", "Threads", "Prune", "PruneScope", "PruneExclude", "PruneStructured", "PruneBlock" };

    public static ModelOptions Default(string modelPath) =>
        new(DefaultClassName(modelPath), "EfficientAI.Generated", "", "", "", "");

    public static ModelOptions From(string modelPath, AnalyzerConfigOptions file, AnalyzerConfigOptions global)
    {
        string Get(string name) => file.TryGetValue("build_metadata.AdditionalFiles." + name, out var v) ? v.Trim() : "";
        var rootNamespace = global.TryGetValue("build_property.RootNamespace", out var ns) && ns.Trim().Length > 0 ? ns.Trim() : "EfficientAI.Generated";
        var className = Get("ClassName");
        var nspace = Get("Namespace");
        return new ModelOptions(
            className.Length > 0 ? className : DefaultClassName(modelPath),
            nspace.Length > 0 ? nspace : rootNamespace,
            Get("Dims"), Get("Shapes"), Get("ConstantInputs"), Get("DisabledPasses"), Get("MaxRamBytes"), Get("MaxRomBytes"), Get("Quantize"), Get("MinSqnrDb"), Get("Report"),
            Get("Calibration"), Get("CalibrationMethod"), Get("Threads"), Get("Prune"), Get("PruneScope"), Get("PruneExclude"), Get("PruneStructured"), Get("PruneBlock"));
    }

    /// <summary>"hello_deepa.onnx" -> "HelloDeepa"; "face-detection 128.onnx" -> "FaceDetection128".</summary>
    public static string DefaultClassName(string modelPath)
    {
        var stem = Path.GetFileNameWithoutExtension(modelPath);
        var sb = new StringBuilder();
        bool upper = true;
        foreach (var ch in stem)
        {
            if (char.IsLetterOrDigit(ch) && ch < 128)
            {
                sb.Append(upper ? char.ToUpperInvariant(ch) : ch);
                upper = false;
            }
            else upper = true;
        }
        if (sb.Length == 0 || char.IsDigit(sb[0])) sb.Insert(0, "Model");
        return sb.ToString();
    }

    /// <summary>
    /// "batch=1|sequence=512" (or ';') -> map. In a project file entries are separated by '|': MSBuild passes item
    /// metadata to the compiler through an analyzer config file, whose parser ends a value at ';'.
    /// </summary>
    public Dictionary<string, int> ParseDims() => ParseMap(Dims, "Dims", v => ParseDim(v, "Dims"));

    /// <summary>"input=1x512;state=2x1x128" -> map of shapes.</summary>
    public Dictionary<string, int[]> ParseShapes() => ParseMap(Shapes, "Shapes", v =>
    {
        if (v.Length == 0) return Array.Empty<int>();
        var parts = v.Split('x', 'X', '*');
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++) shape[i] = ParseDim(parts[i], "Shapes");
        return shape;
    });

    /// <summary>"sr=16000;mode=1,2,3" -> constant values (as numbers) bound to graph inputs.</summary>
    public Dictionary<string, double[]> ParseConstantInputs() => ParseMap(ConstantInputs, "ConstantInputs", v =>
    {
        var parts = v.Split(new[] { ',', ' ' }, StringSplitOptions.RemoveEmptyEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                throw new CompileError(DiagnosticDescriptors.InvalidOption, $"ConstantInputs: '{parts[i]}' is not a number");
        return values;
    });

    public HashSet<string> ParseDisabledPasses()
    {
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in DisabledPasses.Split(new[] { ';', ',', '|' }, StringSplitOptions.RemoveEmptyEntries)) set.Add(p.Trim());
        return set;
    }

    /// <summary>The report file the build writes beside its output: "md", "html", or null for none ("" or "none").</summary>
    public string? ParseReport() => Report.Trim().ToLowerInvariant() switch
    {
        "" or "none" => null,
        "md" => "md",
        "html" => "html",
        _ => throw new CompileError(DiagnosticDescriptors.InvalidOption, $"Report: '{Report}' is not md, html or none"),
    };

    /// <summary>Quantize: "int8" quantizes Conv/Gemm/MatMul weights (true), "" or "none" keeps float (false).</summary>
    public bool ParseQuantize() => Quantize.Trim().ToLowerInvariant() switch
    {
        "" or "none" or "float" => false,
        "int8" => true,
        _ => throw new CompileError(DiagnosticDescriptors.InvalidOption, $"Quantize: '{Quantize}' is not a quantization (int8 or none)"),
    };

    /// <summary>Threads: how many threads (the caller and pool workers) the large Convs may share; default 1.</summary>
    public int ParseThreads()
    {
        var text = Threads.Trim();
        if (text.Length == 0) return 1;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > 64)
            throw new CompileError(DiagnosticDescriptors.InvalidOption, $"Threads: '{text}' is not a thread count from 1 to 64");
        return n;
    }

    /// <summary>MinSqnrDb: layers whose int8 weights measure a lower SQNR (dB) stay float; default 30.</summary>
    public double ParseMinSqnrDb()
    {
        var text = MinSqnrDb.Trim();
        if (text.Length == 0) return Passes.Int8Quantization.DefaultMinSqnrDb;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var db) || double.IsNaN(db))
            throw new CompileError(DiagnosticDescriptors.InvalidOption, $"MinSqnrDb: '{text}' is not a number of decibels (e.g. 30)");
        return db;
    }

    /// <summary>
    /// Calibration: "a.npy|b.npy" (files for the model's only input) or "image=a.npy|image=b.npy" (per input), in the
    /// order given; null input names mean "the only input". Empty when not set.
    /// </summary>
    public List<(string? Input, string File)> ParseCalibration()
    {
        var list = new List<(string?, string)>();
        foreach (var entry in Calibration.Split(new[] { ';', '|' }, StringSplitOptions.RemoveEmptyEntries))
        {
            var text = entry.Trim();
            if (text.Length == 0) continue;
            int eq = text.IndexOf('=');
            string? input = eq > 0 ? text.Substring(0, eq).Trim() : null;
            var file = (eq >= 0 ? text.Substring(eq + 1) : text).Trim();
            if (file.Length == 0 || eq == 0)
                throw new CompileError(DiagnosticDescriptors.InvalidOption, $"Calibration: '{text}' is not a file name or input=file name");
            list.Add((input, file));
        }
        return list;
    }

    /// <summary>The .npy file names Calibration lists (what the generator looks for among the AdditionalFiles); never throws.</summary>
    public IEnumerable<string> CalibrationFileNames()
    {
        foreach (var entry in Calibration.Split(new[] { ';', '|' }, StringSplitOptions.RemoveEmptyEntries))
        {
            var text = entry.Trim();
            int eq = text.IndexOf('=');
            var file = (eq >= 0 ? text.Substring(eq + 1) : text).Trim();
            if (file.Length > 0) yield return file;
        }
    }

    /// <summary>The .npy files a build reads for this model: those Calibration names when Quantize is int8, else none; never throws.</summary>
    public IEnumerable<string> CalibrationFiles() =>
        Quantize.Trim().Equals("int8", StringComparison.OrdinalIgnoreCase) ? CalibrationFileNames() : Array.Empty<string>();

    /// <summary>CalibrationMethod: "MinMax" (default), "Percentile" (99.99) or "Percentile=99.9".</summary>
    public Passes.CalibrationMethod ParseCalibrationMethod()
    {
        var text = CalibrationMethod.Trim();
        if (text.Length == 0 || text.Equals("MinMax", StringComparison.OrdinalIgnoreCase)) return new Passes.CalibrationMethod(false, 100);
        if (text.Equals("Entropy", StringComparison.OrdinalIgnoreCase)) return new Passes.CalibrationMethod(false, 100, Entropy: true);
        int eq = text.IndexOf('=');
        var name = (eq >= 0 ? text.Substring(0, eq) : text).Trim();
        if (!name.Equals("Percentile", StringComparison.OrdinalIgnoreCase))
            throw new CompileError(DiagnosticDescriptors.InvalidOption, $"CalibrationMethod: '{text}' is not MinMax, Entropy, Percentile or Percentile=<p> (e.g. Percentile=99.99)");
        if (eq < 0) return new Passes.CalibrationMethod(true, Passes.CalibrationMethod.DefaultPercentile);
        var value = text.Substring(eq + 1).Trim();
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || !(p > 50 && p <= 100))
            throw new CompileError(DiagnosticDescriptors.InvalidOption, $"CalibrationMethod: percentile '{value}' is not a number in (50, 100] (e.g. Percentile=99.99)");
        return new Passes.CalibrationMethod(true, p);
    }

    /// <summary>
    /// Prune (unstructured target sparsity in [0, 1)), PruneScope ("layer" or "global"), PruneExclude (a .NET regular
    /// expression over node and weight names) and PruneStructured (fraction of output channels to remove, in [0, 1)).
    /// A bad value is EAI0350 naming the option.
    /// </summary>
    public Passes.PruneSettings ParsePruning()
    {
        double Fraction(string text, string option)
        {
            text = text.Trim();
            if (text.Length == 0) return 0;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) || double.IsNaN(f))
                throw new CompileError(DiagnosticDescriptors.InvalidPruningOption, new[] { option, $"'{text}' is not a number" });
            if (f < 0 || f >= 1)
                throw new CompileError(DiagnosticDescriptors.InvalidPruningOption, new[] { option, $"{text} is outside [0, 1): it is the fraction to remove (0.5 removes half)" });
            return f;
        }
        var sparsity = Fraction(Prune, "Prune");
        var structured = Fraction(PruneStructured, "PruneStructured");
        bool global = PruneScope.Trim().ToLowerInvariant() switch
        {
            "" or "layer" => false,
            "global" => true,
            _ => throw new CompileError(DiagnosticDescriptors.InvalidPruningOption, new[] { "PruneScope", $"'{PruneScope.Trim()}' is neither layer nor global" }),
        };
        System.Text.RegularExpressions.Regex? exclude = null;
        if (PruneExclude.Trim().Length > 0)
        {
            try
            {
                exclude = new System.Text.RegularExpressions.Regex(PruneExclude.Trim(), System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw new CompileError(DiagnosticDescriptors.InvalidPruningOption, new[] { "PruneExclude", $"'{PruneExclude.Trim()}' is not a regular expression ({e.Message.TrimEnd('.')})" });
            }
        }
        int blockRows = 0;
        var block = PruneBlock.Trim();
        if (block.Length > 0)
        {
            var parts = block.ToLowerInvariant().Split('x');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out blockRows) || blockRows < 1 || blockRows > 1024
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int columns))
                throw new CompileError(DiagnosticDescriptors.InvalidPruningOption, new[] { "PruneBlock", $"'{block}' is not rows x columns (e.g. 1x16)" });
            if (columns != 16)
                throw new CompileError(DiagnosticDescriptors.InvalidPruningOption, new[] { "PruneBlock", $"'{block}': blocks are 16 output columns wide (one panel of the kernel): 1x16, 2x16, 4x16 ..." });
            if (global)
                throw new CompileError(DiagnosticDescriptors.InvalidPruningOption, new[] { "PruneBlock", "block pruning ranks blocks within each layer; PruneScope=global is not supported with it" });
        }
        return new Passes.PruneSettings(sparsity, global, exclude, structured, blockRows);
    }

    /// <summary>A byte budget: "65536", "64K", "1.5M" (binary units); null when not set.</summary>
    public static long? ParseBytes(string text, string option)
    {
        text = text.Trim();
        if (text.Length == 0) return null;
        double unit = 1;
        char last = char.ToUpperInvariant(text[text.Length - 1]);
        if (last is 'K' or 'M' or 'G')
        {
            unit = last == 'K' ? 1024 : last == 'M' ? 1024 * 1024 : 1024 * 1024 * 1024;
            text = text.Substring(0, text.Length - 1);
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0)
            throw new CompileError(DiagnosticDescriptors.InvalidOption, $"{option}: '{text}' is not a byte count (e.g. 65536, 64K, 1.5M)");
        return (long)(v * unit);
    }

    private static int ParseDim(string text, string option)
    {
        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int d) || d < 0)
            throw new CompileError(DiagnosticDescriptors.InvalidOption, $"{option}: '{text}' is not a non-negative integer size");
        return d;
    }

    private static Dictionary<string, T> ParseMap<T>(string text, string option, Func<string, T> parse)
    {
        var map = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var entry in text.Split(new[] { ';', '|' }, StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.LastIndexOf('=');
            if (eq <= 0) throw new CompileError(DiagnosticDescriptors.InvalidOption, $"{option}: '{entry.Trim()}' is not of the form name=value");
            map[entry.Substring(0, eq).Trim()] = parse(entry.Substring(eq + 1).Trim());
        }
        return map;
    }
}
