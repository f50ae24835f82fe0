using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Xml.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// Report="md"|"html": the generator carries the report and the arena chart in a comment-only source for the props
/// to write beside the build output (the package test builds a real project with it). A snapshot of one Markdown report.
/// </summary>
public class ReportFileTests
{
    /// <summary>The files the props target would write, decoded from the generated *.Report.g.cs.</summary>
    private static Dictionary<string, string> ReportFiles(byte[] model, Dictionary<string, string> metadata)
    {
        var (output, diagnostics, run) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(model, "report_model.onnx"), metadata);
        Assert.DoesNotContain(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var source = run.Results.Single().GeneratedSources.Where(s => s.HintName.EndsWith(".Report.g.cs", StringComparison.Ordinal)).ToList();
        var files = new Dictionary<string, string>();
        if (source.Count == 0) return files;
        string? name = null;
        var data = new StringBuilder();
        foreach (var line in source.Single().SourceText.ToString().Split('\n').Append(Emit.ReportFile.FilePrefix))
        {
            if (line.StartsWith(Emit.ReportFile.DataPrefix, StringComparison.Ordinal)) { data.Append(line.AsSpan(Emit.ReportFile.DataPrefix.Length)); continue; }
            if (!line.StartsWith(Emit.ReportFile.FilePrefix, StringComparison.Ordinal)) continue;
            if (name is not null) files[name] = Encoding.UTF8.GetString(Convert.FromBase64String(data.ToString()));
            name = line.Substring(Emit.ReportFile.FilePrefix.Length).Trim();
            data.Clear();
        }
        return files;
    }

    [Fact]
    public void MarkdownReportSnapshot()
    {
        var files = ReportFiles(GeneratorTests.TinyCnn(), new() { ["ClassName"] = "TinyCnn", ["Namespace"] = "Snapshots", ["Report"] = "md" });
        Assert.Equal(new[] { "TinyCnn.report.md", "TinyCnn.report.svg" }, files.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Snapshot.Verify(files["TinyCnn.report.md"], "TinyCnn.report.md");
    }

    [Fact]
    public void ChartIsSvgWithABarPerLayerAndTheArenaLine()
    {
        var files = ReportFiles(GeneratorTests.TinyMlp(), new() { ["ClassName"] = "Mlp", ["Report"] = "HTML" });
        Assert.Contains("<img src=\"Mlp.report.svg\"", files["Mlp.report.html"]);
        var svg = XDocument.Parse(files["Mlp.report.svg"]);
        XNamespace ns = "http://www.w3.org/2000/svg";
        // One bar per layer (plus the background rect).
        int layers = FusionPassTests.Compile(GeneratorTests.TinyMlp()).Graph!.Nodes.Count;
        Assert.Equal(layers + 1, svg.Root!.Elements(ns + "rect").Count());
        Assert.Contains(svg.Root.Elements(ns + "text"), t => t.Value.StartsWith("arena ", StringComparison.Ordinal));
    }

    [Fact]
    public void NoReportByDefaultOrWithNone_AndABadValueIsEai0003()
    {
        Assert.Empty(ReportFiles(GeneratorTests.TinyMlp(), new()));
        Assert.Empty(ReportFiles(GeneratorTests.TinyMlp(), new() { ["Report"] = "none" }));
        var (_, diagnostics, _) = GeneratorHarness.Generate(GeneratorHarness.WriteModel(GeneratorTests.TinyMlp(), "bad_report.onnx"), new() { ["Report"] = "pdf" });
        Assert.Contains(diagnostics, d => d.Id == "EAI0003" && d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("Report"));
    }
}
