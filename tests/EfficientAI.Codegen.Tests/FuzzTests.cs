using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EfficientAI.Codegen.Fuzzing;
using Xunit;
using Xunit.Abstractions;

namespace EfficientAI.Codegen.Tests;

/// <summary>A CI-sized, seeded fuzzing run over the compiler's entry point: nothing may crash or hang (tests/fuzz.sh runs long campaigns).</summary>
public class FuzzTests
{
    private readonly ITestOutputHelper _output;

    public FuzzTests(ITestOutputHelper output) => _output = output;

    internal static List<byte[]> Seeds()
    {
        var seeds = new List<byte[]> { GeneratorTests.TinyMlp(), GeneratorTests.TinyCnn() };
        var digits = Path.Combine(Infrastructure.Snapshot.RepoRoot(), "models", "digits_cnn.onnx");
        if (File.Exists(digits)) seeds.Add(File.ReadAllBytes(digits));
        return seeds;
    }

    [Fact]
    public void SeededCampaignHasNoCrashOrHang()
    {
        var seeds = Seeds();
        // tests/fuzz.sh sets these for long campaigns; the default is the CI-sized run.
        var rng = new Random(int.TryParse(Environment.GetEnvironmentVariable("EAI_FUZZ_SEED"), out var seed) ? seed : 20261202);
        var counts = new Dictionary<ModelMutator.Outcome, int>();
        var failures = new List<string>();
        int inputs = int.TryParse(Environment.GetEnvironmentVariable("EAI_FUZZ_INPUTS"), out var n) ? n : 3000;
        for (int i = 0; i < inputs; i++)
        {
            var input = ModelMutator.Mutate(seeds[i % seeds.Count], rng);
            if (rng.Next(4) == 0) input = ModelMutator.Mutate(input, rng); // stacked mutations
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var (outcome, detail) = ModelMutator.Run(input, TimeSpan.FromSeconds(20));
            if (Environment.GetEnvironmentVariable("EAI_FUZZ_TRACE") is { } trace) File.AppendAllText(trace, $"{i} {watch.ElapsedMilliseconds} ms {outcome} {detail}\n");
            if (watch.ElapsedMilliseconds > 500) _output.WriteLine($"slow input {i}: {watch.ElapsedMilliseconds} ms, {outcome} {detail}");
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            if (outcome is ModelMutator.Outcome.Crashed or ModelMutator.Outcome.Hung && failures.Count < 10)
            {
                var path = Path.Combine(Path.GetTempPath(), $"eai-fuzz-{i}.onnx");
                File.WriteAllBytes(path, input);
                failures.Add($"input {i} ({path}): {outcome} {detail}");
            }
        }
        _output.WriteLine(string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(counts.GetValueOrDefault(ModelMutator.Outcome.Compiled) > 0 && counts.GetValueOrDefault(ModelMutator.Outcome.Diagnosed) > 0,
            "the campaign must reach both outcomes, or the mutator is not exercising the compiler");
    }
}
