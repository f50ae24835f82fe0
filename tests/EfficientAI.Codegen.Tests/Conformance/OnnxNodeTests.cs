using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace EfficientAI.Codegen.Tests.Conformance;

/// <summary>Runs every set of ONNX backend tests once per test run and writes the reports.</summary>
public sealed class OnnxTestSuiteFixture
{
    internal Dictionary<string, List<CaseResult>>? Results { get; }
    internal string Log { get; } = "";

    public OnnxTestSuiteFixture()
    {
        if (OnnxTestData.Root is null) return;
        var results = new Dictionary<string, List<CaseResult>>();
        var log = new List<string>();
        foreach (var set in OnnxTestData.Sets)
        {
            var clock = Stopwatch.StartNew();
            results[set] = ConformanceRunner.Run(OnnxTestData.Cases(set));
            log.Add($"{set}: {ConformanceReport.FormatSummary(ConformanceReport.Summarize(results[set]))} ({clock.Elapsed.TotalSeconds:0.0} s); " +
                $"{results[set].Count(r => r.FoldChecked)} passing cases also fold whole at compile time, matching the kernel (ops: {string.Join(", ", results[set].Where(r => r.FoldChecked).SelectMany(r => r.Ops).Distinct().OrderBy(o => o, StringComparer.Ordinal))})");
        }
        Results = results;
        Log = string.Join("\n", log);
        if (DevModels.RepoRoot is { } repo && OnnxTestData.Filter is null)
        {
            ConformanceReport.WriteJson(Path.Combine(repo, "artifacts", "onnx-node-tests.json"), results);
            File.WriteAllText(Path.Combine(repo, "docs", "operators.md"), ConformanceReport.Operators(results));
        }
    }
}

/// <summary>
/// ONNX's backend tests (package libonnx-testdata): every case must pass or be refused with an EAI diagnostic that
/// says why; none may fail (wrong numbers, a crash, code that does not compile). Writes artifacts/onnx-node-tests.json
/// and docs/operators.md.
/// </summary>
[Trait("Category", "OnnxNodeTests")]
public sealed class OnnxNodeTests : IClassFixture<OnnxTestSuiteFixture>
{
    private readonly OnnxTestSuiteFixture _suite;
    private readonly ITestOutputHelper _output;

    public OnnxNodeTests(OnnxTestSuiteFixture suite, ITestOutputHelper output)
    {
        _suite = suite;
        _output = output;
    }

    [Theory]
    [InlineData("node")]
    [InlineData("pytorch-converted")]
    [InlineData("pytorch-operator")]
    [InlineData("simple")]
    public void EveryCasePassesOrIsRefused(string set)
    {
        if (_suite.Results is null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail(OnnxTestData.WhyMissing);
            _output.WriteLine("SKIPPED (not CI): " + OnnxTestData.WhyMissing);
            return;
        }
        _output.WriteLine(_suite.Log);
        var results = _suite.Results[set];
        if (OnnxTestData.Filter is null) Assert.NotEmpty(results);
        else
        {
            // A filtered run is for iterating on a few ops: say why each case did not pass.
            foreach (var r in results.Where(r => r.Status != CaseStatus.Passed))
                _output.WriteLine($"{r.Status} {r.Name} [{string.Join(",", r.Ops)}]: {r.Message}");
        }
        var failed = results.Where(r => r.Status == CaseStatus.Failed).ToList();
        Assert.True(failed.Count == 0, $"{set}: {ConformanceReport.FormatSummary(ConformanceReport.Summarize(results))}\n" +
            string.Join("\n", failed.Select(r => $"{r.Name} [{string.Join(",", r.Ops)}]: {r.Message}")));
        int passed = results.Count(r => r.Status == CaseStatus.Passed);
        if (OnnxTestData.Filter is null)
            Assert.True(passed >= OnnxTestData.MinimumPassed[set], $"{set}: {passed} cases pass, fewer than the floor of {OnnxTestData.MinimumPassed[set]} (OnnxTestData.MinimumPassed): coverage regressed.");
    }
}
