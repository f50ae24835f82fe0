using System;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>build/EfficientAI.Codegen.props must expose exactly the metadata the generator reads.</summary>
public class PropsTests
{
    private static XDocument LoadProps()
    {
        // Walk up from the test output folder to the repository root (the folder holding the .sln).
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EfficientAI.Codegen.sln")))
                return XDocument.Load(Path.Combine(dir.FullName, "src", "EfficientAI.Codegen", "build", "EfficientAI.Codegen.props"));
        }
        throw new InvalidOperationException("Repository root (EfficientAI.Codegen.sln) not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void ListsExactlyTheModelOptionsMetadata()
    {
        var metadata = LoadProps().Descendants("CompilerVisibleItemMetadata").ToList();
        Assert.All(metadata, e => Assert.Equal("AdditionalFiles", (string?)e.Attribute("Include")));
        Assert.Equal(ModelOptions.MetadataNames, metadata.Select(e => (string?)e.Attribute("MetadataName")));
    }

    [Fact]
    public void ExposesRootNamespace()
    {
        var properties = LoadProps().Descendants("CompilerVisibleProperty").Select(e => (string?)e.Attribute("Include"));
        Assert.Equal(new[] { "RootNamespace" }, properties);
    }

    [Fact]
    public void DoesNotDependOnTheRepositoryLayout()
    {
        // The file ships in the package's buildTransitive folder, away from the rest of the repository.
        var doc = LoadProps();
        Assert.Empty(doc.Descendants("Import"));
        Assert.DoesNotContain(doc.Descendants().Attributes(), a => a.Value.Contains("..") || a.Value.Contains("$(MSBuildThisFileDirectory)"));
    }
}
