using System;
using System.IO;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Xunit;

namespace EfficientAI.Codegen.Tests.Infrastructure;

/// <summary>
/// Verify-style snapshots: the expected text lives in <c>Name.verified.cs</c> beside the test; a mismatch writes
/// <c>Name.received.cs</c> and fails with a line diff. Set EAI_ACCEPT_SNAPSHOTS=1 to accept the received text.
/// </summary>
internal static class Snapshot
{
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EfficientAI.Codegen.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (EfficientAI.Codegen.sln) not found above " + AppContext.BaseDirectory);
    }

    public static void Verify(string actual, string name)
    {
        // Not [CallerFilePath]: deterministic CI builds map source paths to "/_/".
        var dir = Path.Combine(RepoRoot(), "tests", "EfficientAI.Codegen.Tests", "Snapshots");
        var verified = Path.Combine(dir, name + ".verified.cs");
        var received = Path.Combine(dir, name + ".received.cs");
        actual = actual.Replace("\r\n", "\n");
        var expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        if (Environment.GetEnvironmentVariable("EAI_ACCEPT_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(verified, actual);
            return;
        }
        Directory.CreateDirectory(dir);
        File.WriteAllText(received, actual);
        var diff = InlineDiffBuilder.Diff(expected ?? "", actual);
        var sb = new System.Text.StringBuilder();
        int shown = 0;
        foreach (var line in diff.Lines)
        {
            if (line.Type == ChangeType.Unchanged || shown++ > 40) continue;
            sb.Append(line.Type == ChangeType.Inserted ? "+ " : "- ").Append(line.Position).Append(": ").AppendLine(line.Text);
        }
        Assert.Fail($"{name}: generated source differs from {Path.GetFileName(verified)} (see {Path.GetFileName(received)}):\n{sb}");
    }
}
