using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using EfficientAI.Codegen.Onnx.Proto;

namespace EfficientAI.Codegen.Tests.Conformance;

/// <summary>
/// Locates ONNX's backend test data (Debian/Ubuntu package <c>libonnx-testdata</c>, ONNX 1.12): installed under
/// <c>/usr/share/libonnx-testdata/data</c>, or unpacked by <c>.ci/run</c> into <c>.cache/libonnx-testdata</c>
/// (<c>apt-get download</c> + <c>dpkg -x</c>), or wherever <c>ONNX_TESTDATA_DIR</c> points.
/// </summary>
internal static class OnnxTestData
{
    public const string Package = "libonnx-testdata";

    /// <summary>The test sets, in report order. "node" is the one the target is stated for.</summary>
    public static readonly string[] Sets = { "node", "pytorch-converted", "pytorch-operator", "simple" };

    private static readonly string[] s_candidates = Candidates();

    public static string? Root { get; } = s_candidates.FirstOrDefault(c => Directory.Exists(Path.Combine(c, "node")));

    public static string WhyMissing => $"ONNX backend test data not found (looked in {string.Join(", ", s_candidates)}). Install the Debian package {Package} (`apt-get install {Package}`), or set ONNX_TESTDATA_DIR to its data folder.";

    private static string[] Candidates()
    {
        var candidates = new List<string>();
        var env = Environment.GetEnvironmentVariable("ONNX_TESTDATA_DIR");
        if (!string.IsNullOrEmpty(env)) candidates.Add(env);
        candidates.Add("/usr/share/libonnx-testdata/data");
        if (DevModels.RepoRoot is { } repo) candidates.Add(Path.Combine(repo, ".cache", Package, "usr", "share", Package, "data"));
        return candidates.ToArray();
    }

    /// <summary>
    /// EAI_NODE_TESTS=regex runs only the cases whose name matches (for iterating on one op); a filtered run writes
    /// no reports and checks no pass-count floor.
    /// </summary>
    public static System.Text.RegularExpressions.Regex? Filter { get; } =
        Environment.GetEnvironmentVariable("EAI_NODE_TESTS") is { Length: > 0 } f ? new System.Text.RegularExpressions.Regex(f) : null;

    /// <summary>
    /// Passed cases a full run must reach per set: a floor that only moves up, so coverage cannot silently regress.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, int> MinimumPassed = new Dictionary<string, int>
    {
        ["node"] = 861, ["pytorch-converted"] = 82, ["pytorch-operator"] = 35, ["simple"] = 15,
    };

    /// <summary>Every case of a set (a folder with model.onnx), sorted by name.</summary>
    public static IReadOnlyList<TestCase> Cases(string set)
    {
        var dir = Path.Combine(Root ?? throw new InvalidOperationException(WhyMissing), set);
        if (!Directory.Exists(dir)) return Array.Empty<TestCase>();
        return Directory.GetDirectories(dir)
            .Where(d => File.Exists(Path.Combine(d, "model.onnx")))
            .Select(d => new TestCase(set, Path.GetFileName(d), d))
            .Where(c => Filter is null || Filter.IsMatch(c.Name))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
    }
}

/// <summary>One backend test: a model and one or more data sets of input and expected output tensors.</summary>
internal sealed record TestCase(string Set, string Name, string Directory)
{
    public string ModelPath => Path.Combine(Directory, "model.onnx");

    /// <summary>The test_data_set_* folders, each with its input_i.pb and output_i.pb files in index order.</summary>
    public IReadOnlyList<DataSet> DataSets()
    {
        static int Index(string path)
        {
            var stem = Path.GetFileNameWithoutExtension(path);
            return int.Parse(stem.Substring(stem.LastIndexOf('_') + 1), CultureInfo.InvariantCulture);
        }
        static TensorProto[] Read(string dir, string prefix) => System.IO.Directory.GetFiles(dir, prefix + "_*.pb")
            .OrderBy(Index).Select(f => TensorProto.Parser.ParseFrom(File.ReadAllBytes(f))).ToArray();
        return System.IO.Directory.GetDirectories(Directory, "test_data_set_*")
            .OrderBy(Index)
            .Select(d => new DataSet(Path.GetFileName(d), Read(d, "input"), Read(d, "output")))
            .ToList();
    }
}

internal sealed record DataSet(string Name, TensorProto[] Inputs, TensorProto[] Outputs);
