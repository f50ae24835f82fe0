using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Xunit;
using Xunit.Abstractions;

namespace EfficientAI.Codegen.Tests;

/// <summary>
/// Finds the development models (third-party files, never committed): first the shared copy at
/// <c>&lt;repo&gt;/../shared/models/dev/</c>, then <c>&lt;repo&gt;/.cache/models/dev/</c>, which
/// <c>tests/fetch-models.sh</c> fills on first use (once per test run). A model that cannot be found or
/// fetched fails the test when CI=true; otherwise the test is told to return early, with a message.
/// </summary>
internal static class DevModels
{
    private static readonly object s_fetchLock = new();
    private static bool s_fetchTried;
    private static string? s_fetchError;

    public static string? RepoRoot { get; } = FindRepoRoot();

    private static string? FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EfficientAI.Codegen.sln"))) return dir.FullName;
        return null;
    }

    /// <summary>The model's bytes, or null (after writing why to <paramref name="output"/>) when it is unavailable outside CI.</summary>
    public static byte[]? Load(string name, ITestOutputHelper output)
    {
        var path = Find(name, out var why);
        if (path is not null) return File.ReadAllBytes(path);
        var message = $"Dev model '{name}' is not available: {why}";
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail(message);
        output.WriteLine("SKIPPED (not CI): " + message);
        return null;
    }

    private static string? Find(string name, out string why)
    {
        why = "";
        if (RepoRoot is null)
        {
            why = $"no EfficientAI.Codegen.sln found above {AppContext.BaseDirectory}";
            return null;
        }
        var shared = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "models", "dev", name));
        if (File.Exists(shared)) return shared;
        var cacheRoot = Path.Combine(RepoRoot, ".cache", "models");
        var cached = Path.Combine(cacheRoot, "dev", name);
        if (File.Exists(cached)) return cached;

        lock (s_fetchLock)
        {
            if (!s_fetchTried)
            {
                s_fetchError = Fetch(cacheRoot);
                s_fetchTried = true;
            }
        }
        if (File.Exists(cached)) return cached;
        why = $"not at {shared} nor {cached}; " + (s_fetchError ?? $"tests/fetch-models.sh ran but did not produce {name}");
        return null;
    }

    /// <summary>Runs tests/fetch-models.sh into the cache (serialised across processes by a lock file); returns an error or null.</summary>
    private static string? Fetch(string cacheRoot)
    {
        var script = Path.Combine(RepoRoot!, "tests", "fetch-models.sh");
        if (!File.Exists(script)) return $"{script} is missing";
        Directory.CreateDirectory(cacheRoot);
        using var fileLock = AcquireFileLock(Path.Combine(cacheRoot, ".fetch.lock"), TimeSpan.FromMinutes(10));
        if (fileLock is null) return "timed out waiting for another process's fetch (lock file " + Path.Combine(cacheRoot, ".fetch.lock") + ")";

        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(cacheRoot);
        // The test host may inherit MSBuild variables from `dotnet test`; they must not steer the script's own `dotnet restore`.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                p.Kill(entireProcessTree: true);
                return "tests/fetch-models.sh timed out after 10 minutes";
            }
            return p.ExitCode == 0 ? null : $"tests/fetch-models.sh failed (exit {p.ExitCode}):\n{stdout.Result}\n{stderr.Result}";
        }
        catch (Exception e)
        {
            return $"could not run tests/fetch-models.sh: {e.Message}";
        }
    }

    private static FileStream? AcquireFileLock(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(500); }
            catch (IOException) { return null; }
        }
    }
}
