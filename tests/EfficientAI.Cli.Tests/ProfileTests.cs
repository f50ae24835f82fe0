using System.Globalization;
using System.Linq;
using Xunit;

namespace EfficientAI.Cli.Tests;

/// <summary>profile: every emitted node gets a time and the op totals add up.</summary>
public class ProfileTests
{
    [Fact]
    public void EveryNode_GetsATime_AndTheOpTotalsAddUp()
    {
        var r = Eai.Run("profile", TestModels.Mlp(), "--runs", "20", "--top", "0");
        Assert.Equal(0, r.Exit);
        var lines = r.Out.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.StartsWith("tiny_mlp.onnx: 1 nodes", lines[0]);
        Assert.Contains("fastest of 20 runs each", lines[0]);
        int first = lines.IndexOf("nodes in graph order:") + 1;
        var nodes = lines.Skip(first).Where(l => l.Contains(" us  ")).ToList();
        Assert.NotEmpty(nodes);
        var times = nodes.Select(l => double.Parse(l.Split(" us  ")[0], CultureInfo.InvariantCulture)).ToList();
        Assert.All(times, t => Assert.True(t > 0, "a node that ran must take some time"));
        // The per-op table: one row per op type, totals summing to the nodes' times (rounding aside).
        var opRows = lines.SkipWhile(l => !l.StartsWith("op ")).Skip(1).TakeWhile(l => l.Length > 0).ToList();
        double opSum = opRows.Sum(l => double.Parse(l.Split(' ', System.StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
        Assert.InRange(opSum, times.Sum() * 0.9 - 0.2, times.Sum() * 1.1 + 0.2);
        Assert.Equal(nodes.Count, opRows.Sum(l => int.Parse(l.Split(' ', System.StringSplitOptions.RemoveEmptyEntries)[3], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void BadRuns_IsAUsageError() =>
        Assert.Equal(ExitCodes.UsageError, Eai.Run("profile", TestModels.Mlp(), "--runs", "0").Exit);
}
