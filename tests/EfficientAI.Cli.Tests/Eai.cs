using System;
using System.IO;
using System.Security.Cryptography;
using System.Text.Json;
using Xunit;

namespace EfficientAI.Cli.Tests;

/// <summary>Runs eai in-process and captures what it prints.</summary>
internal static class Eai
{
    public sealed record Result(int Exit, string Out, string Err)
    {
        public JsonElement Json() => JsonDocument.Parse(Out).RootElement;

        /// <summary>Bad input must be one line on stderr naming the EAI id, with no stack trace.</summary>
        public void AssertOneLineError(int exit, string id)
        {
            Assert.Equal(exit, Exit);
            var lines = Err.TrimEnd().Split('\n');
            Assert.True(lines.Length == 1, "expected one error line, got:\n" + Err);
            Assert.StartsWith("error " + id + ":", lines[0]);
            Assert.DoesNotContain("   at ", Err);
        }
    }

    public static Result Run(params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        int exit = EaiApp.Run(args, output, error);
        return new Result(exit, output.ToString(), error.ToString());
    }

    public static string TempDir { get; } = Directory.CreateTempSubdirectory("eai-cli-tests-").FullName;

    /// <summary>Writes bytes to a file named after their hash (parallel tests never collide) with the given name.</summary>
    public static string WriteFile(byte[] bytes, string fileName)
    {
        var dir = Path.Combine(TempDir, Convert.ToHexString(SHA256.HashData(bytes))[..16]);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, fileName);
        if (!File.Exists(path)) File.WriteAllBytes(path, bytes);
        return path;
    }

    public static string NewDir(string name)
    {
        var dir = Path.Combine(TempDir, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
