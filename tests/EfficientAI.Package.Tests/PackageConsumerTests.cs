using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace EfficientAI.Package.Tests;

/// <summary>
/// Packs EfficientAI.Codegen into a local folder feed, creates a fresh project outside the repository that
/// references it by PackageReference alone, adds models/digits_cnn.onnx, builds with -warnaserror, runs it on
/// the held-out digits and compares every logit with ONNX Runtime run here on the same input; the model's
/// Report="md" must leave Digits.report.md and Digits.report.svg in the output folder.
/// </summary>
public sealed class PackageConsumerTests : IDisposable
{
    private const string Version = "0.1.0";
    private readonly ITestOutputHelper output;
    private readonly string work = Path.Combine(Path.GetTempPath(), "eai-package-" + Guid.NewGuid().ToString("N"));

    public PackageConsumerTests(ITestOutputHelper output)
    {
        this.output = output;
        Directory.CreateDirectory(work);
    }

    public void Dispose()
    {
        try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public void PackageHasTheGeneratorTheRuntimeAndTheProps()
    {
        string nupkg = Pack(Path.Combine(work, "feed"));
        using var zip = ZipFile.OpenRead(nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("analyzers/dotnet/cs/EfficientAI.Codegen.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/Google.Protobuf.dll", entries);
        Assert.Contains("lib/net8.0/EfficientAI.Runtime.dll", entries);
        Assert.Contains("buildTransitive/EfficientAI.Codegen.props", entries);
        Assert.Contains("README.md", entries);
        // The generator is analyzer content only: it must not also land in lib/ or become a dependency.
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("Codegen", StringComparison.Ordinal));
        using var nuspec = new StreamReader(zip.GetEntry("EfficientAI.Codegen.nuspec")!.Open());
        string spec = nuspec.ReadToEnd();
        Assert.Contains("id=\"System.Numerics.Tensors\"", spec);
        Assert.DoesNotContain("id=\"EfficientAI.Codegen.Generator\"", spec);
    }

    [Fact]
    public void FreshProjectBuildsFromThePackageAndMatchesOnnxRuntime()
    {
        string root = RepositoryRoot();
        string feed = Path.Combine(work, "feed");
        Pack(feed);

        // The consumer: outside the repository, its own NuGet config and packages folder, so our package can
        // only come from the local feed and everything else from the ordinary feed.
        string app = Path.Combine(work, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />");   // stop MSBuild looking further up
        File.WriteAllText(Path.Combine(work, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(work, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" /></config>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="EfficientAI.*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        File.Copy(Path.Combine(root, "models", "digits_cnn.onnx"), Path.Combine(app, "digits_cnn.onnx"));
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <RootNamespace>Consumer</RootNamespace>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="EfficientAI.Codegen" Version="{Version}" />
                <AdditionalFiles Include="digits_cnn.onnx" ClassName="Digits" Namespace="Consumer.Models" Report="md" />
              </ItemGroup>
            </Project>
            """);
        // Prints each sample's 10 logits in round-trip form, one sample per line.
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using System;
            using System.Globalization;
            using System.IO;
            using System.Linq;
            using Consumer.Models;

            var logits = new float[Digits.LogitsLength];
            foreach (var line in File.ReadLines(args[0]).Skip(1))
            {
                var image = line.Split(',').Skip(1).Select(p => int.Parse(p, CultureInfo.InvariantCulture) / 16f).ToArray();
                Digits.Infer(image, logits);
                Console.WriteLine(string.Join(' ', logits.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            }
            """);

        Run(Dotnet(), $"build \"{app}\" -c Release -warnaserror -nodeReuse:false -p:UseSharedCompilation=false", work);
        // Report="md": the props wrote the report and the arena chart beside the build output.
        string bin = Path.Combine(app, "bin", "Release", "net10.0");
        string report = File.ReadAllText(Path.Combine(bin, "Digits.report.md"));
        Assert.Contains("# digits_cnn.onnx -> `Consumer.Models.Digits`", report);
        Assert.Contains("- RAM (arena): ", report);
        Assert.Contains("![Arena use per layer](Digits.report.svg)", report);
        Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"", File.ReadAllText(Path.Combine(bin, "Digits.report.svg")));

        string csv = Path.Combine(root, "models", "digits_test.csv");
        string printed = Run(Dotnet(), $"\"{Path.Combine(app, "bin", "Release", "net10.0", "App.dll")}\" \"{csv}\"", work, quiet: true);

        var samples = File.ReadLines(csv).Skip(1)
            .Select(l => l.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray())
            .ToArray();
        var lines = printed.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(samples.Length, lines.Length);

        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(Path.Combine(root, "models", "digits_cnn.onnx"), options);
        string inputName = session.InputMetadata.Keys.Single();
        int correct = 0;
        double worst = 0;
        for (int i = 0; i < samples.Length; i++)
        {
            var image = samples[i].Skip(1).Select(p => p / 16f).ToArray();
            using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(image, new[] { 1, 1, 8, 8 })) });
            var expected = results.Single().AsTensor<float>().ToArray();
            var actual = lines[i].Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (int k = 0; k < expected.Length; k++)
            {
                // Same tolerance as the op tests (ModelCheck): |a - e| <= 1e-5 + 1e-4 |e|.
                double excess = Math.Abs(actual[k] - expected[k]) - (1e-5 + 1e-4 * Math.Abs(expected[k]));
                Assert.True(excess <= 0, $"sample {i} logit {k}: {actual[k]}, ONNX Runtime {expected[k]}");
                worst = Math.Max(worst, Math.Abs(actual[k] - expected[k]));
            }
            if (Array.IndexOf(actual, actual.Max()) == samples[i][0]) correct++;
        }
        output.WriteLine($"{samples.Length} samples, largest |difference| from ONNX Runtime {worst:G3}, accuracy {correct}/{samples.Length}");
        Assert.True(correct >= 0.97 * samples.Length, $"accuracy {correct}/{samples.Length}");
    }

    /// <summary>Packs src/EfficientAI.Runtime (the package project) from the build the test run already made.</summary>
    private string Pack(string feed)
    {
        string configuration = typeof(PackageConsumerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Configuration").Value!;
        string project = Path.Combine(RepositoryRoot(), "src", "EfficientAI.Runtime", "EfficientAI.Runtime.csproj");
        Run(Dotnet(), $"pack \"{project}\" -c {configuration} --no-build -o \"{feed}\" -nodeReuse:false", work);
        string nupkg = Path.Combine(feed, $"EfficientAI.Codegen.{Version}.nupkg");
        Assert.True(File.Exists(nupkg), "dotnet pack made no " + nupkg);
        return nupkg;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EfficientAI.Codegen.sln"))) return dir.FullName;
        throw new InvalidOperationException("Repository root (EfficientAI.Codegen.sln) not found above " + AppContext.BaseDirectory);
    }

    private static string Dotnet() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p && File.Exists(p) ? p : "dotnet";

    private string Run(string file, string arguments, string directory, bool quiet = false)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The test host runs inside `dotnet test`: its MSBuild variables would point the child build at the
        // outer one's SDK state. The child gets a clean slate, and its NuGet settings from our nuget.config.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("NUGET_", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"timed out: {file} {arguments}");
        }
        if (!quiet) output.WriteLine($"$ {Path.GetFileName(file)} {arguments}\n{stdout}");
        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(file)} {arguments} exited {process.ExitCode}\n{stdout}\n{stderr.Result}");
        return stdout;
    }
}
