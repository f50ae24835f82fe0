using System;
using System.Linq;
using EfficientAI.Distill.Training;
using Xunit;

namespace EfficientAI.Distill.Tests;

public class StudentSpecTests
{
    [Fact]
    public void MlpOnAnImageFlattensFirst()
    {
        var net = StudentSpec.Parse("mlp:64-32").Build(new[] { 1, 8, 8 }, 10);
        Assert.Equal(new[] { "Flatten", "Linear", "Relu", "Linear", "Relu", "Linear" }, net.Layers.Select(l => l.GetType().Name));
        Assert.Equal(64 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10, net.ParameterCount);
    }

    [Fact]
    public void CnnShapes()
    {
        var net = StudentSpec.Parse("cnn:c8k3-p2-c16k3s2-a2-f32").Build(new[] { 1, 16, 16 }, 10);
        // 16x16 -> conv(pad 1) 16x16 -> pool 8x8 -> conv s2 4x4 -> avg 2x2 -> flatten 64 -> 32 -> 10
        Assert.Equal(new[] { 16, 2, 2 }, net.Layers.OfType<Pool2d>().Last().OutShape);
        Assert.Equal(10, net.OutputSize);
        Assert.Equal(new[] { 64 }, net.Layers.OfType<Flatten>().Single().OutShape);
    }

    [Fact]
    public void GlobalPoolThenClassifier()
    {
        var net = StudentSpec.Parse("cnn:c4k5p0-g").Build(new[] { 3, 9, 9 }, 5);
        Assert.Equal(new[] { 4, 1, 1 }, net.Layers.OfType<GlobalAvgPool>().Single().OutShape);
        Assert.Equal(5, net.OutputSize);
    }

    [Theory]
    [InlineData("mlp64-32", "expected 'mlp:")]
    [InlineData("rnn:64", "unknown kind 'rnn'")]
    [InlineData("mlp:", "no layers")]
    [InlineData("mlp:64--32", "empty token 2")]
    [InlineData("mlp:64-x", "token 2 'x'")]
    [InlineData("mlp:0", "width 0 is outside")]
    [InlineData("cnn:c8k3-q2", "token 2 'q2': not a layer")]
    [InlineData("cnn:c8k0", "kernel size 0")]
    [InlineData("cnn:c8k3p3", "padding 3 must be smaller than the kernel 3")]
    [InlineData("cnn:c8k3s9", "stride 9")]
    [InlineData("cnn:p1", "pooling window 1")]
    [InlineData("cnn:f16-c8k3", "must come before the fully connected")]
    public void BadSpecsAreRefusedByName(string spec, string message)
    {
        var e = Assert.Throws<SpecException>(() => StudentSpec.Parse(spec));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("cnn:c8k3-p2-p2-p2-p2", new[] { 1, 8, 8 }, "token 'p2': a 2x2 pool turns [8,1,1] into [8,0,0]")]
    [InlineData("cnn:c8k5p0-c8k5p0", new[] { 1, 8, 8 }, "a 5x5 kernel (stride 1, padding 0) does not fit the input [8,4,4]")]
    [InlineData("cnn:c8k3", new[] { 64 }, "a cnn student needs a teacher input of [N,C,H,W]")]
    public void ShapesThatCollapseAreRefusedBeforeTraining(string spec, int[] input, string message)
    {
        var e = Assert.Throws<SpecException>(() => StudentSpec.Parse(spec).Build(input, 10));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void OneClassIsNotAClassifier() =>
        Assert.Contains("at least 2", Assert.Throws<SpecException>(() => StudentSpec.Parse("mlp:8").Build(new[] { 4 }, 1)).Message);
}
