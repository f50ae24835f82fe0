using System;
using System.Linq;
using EfficientAI.Distill.Training;
using Xunit;

namespace EfficientAI.Distill.Tests;

public class TrainerTests
{
    private static double[][] TrainedWeights(string spec, long seed, Dataset data, float[]? teacher, int epochs = 2)
    {
        var net = StudentSpec.Parse(spec).Build(data.SampleShape, 10);
        Trainer.Train(net, data, teacher, null, new TrainingOptions(Epochs: epochs, BatchSize: 32, Seed: seed));
        return net.Parameters.Select(p => p.Value.ToArray()).ToArray();
    }

    private static Dataset Subset(Dataset d, int n) => new(d.X.AsSpan(0, n * d.SampleSize).ToArray(), d.SampleShape, n, d.Labels!.Take(n).ToArray());

    [Fact]
    public void SameSeedGivesBitIdenticalWeights()
    {
        var data = Subset(TestData.Digits(), 96);
        var teacher = new float[96 * 10];
        var rng = new Rng(3);
        for (int i = 0; i < teacher.Length; i++) teacher[i] = (float)rng.NextGaussian();
        foreach (var spec in new[] { "mlp:16", "cnn:c4k3-p2-f8" })
        {
            var a = TrainedWeights(spec, 42, data, teacher);
            var b = TrainedWeights(spec, 42, data, teacher);
            var c = TrainedWeights(spec, 43, data, teacher);
            for (int i = 0; i < a.Length; i++)
                Assert.True(a[i].Select(BitConverter.DoubleToInt64Bits).SequenceEqual(b[i].Select(BitConverter.DoubleToInt64Bits)), $"{spec}: parameter {i} differs between two runs with seed 42");
            Assert.False(a.Zip(c).All(p => p.First.SequenceEqual(p.Second)), $"{spec}: seeds 42 and 43 gave the same weights");
        }
    }

    /// <summary>A student on labels alone learns digits; the loss falls.</summary>
    [Fact]
    public void LearnsDigitsFromLabels()
    {
        var data = TestData.Digits();
        var net = StudentSpec.Parse("mlp:32").Build(data.SampleShape, 10);
        var reports = Trainer.Train(net, data, null, null, new TrainingOptions(Epochs: 15, BatchSize: 32, LearningRate: 3e-3, Seed: 1));
        Assert.True(reports[^1].Loss < reports[0].Loss / 3, $"loss {reports[0].Loss} -> {reports[^1].Loss}");
        Assert.True(Trainer.Accuracy(net, data) > 0.95, $"train accuracy {Trainer.Accuracy(net, data)}");
    }

    /// <summary>A student on the teacher's soft targets alone (no labels) comes to agree with the teacher.</summary>
    [Fact]
    public void LearnsTheTeachersSoftTargets()
    {
        var data = TestData.Digits();
        using var teacher = new OrtEngine(System.IO.File.ReadAllBytes(TestData.DigitsTeacher), "teacher");
        var logits = teacher.Run(data.X, data.Count);
        var unlabeled = data with { Labels = null };
        var net = StudentSpec.Parse("mlp:32").Build(data.SampleShape, 10);
        var reports = Trainer.Train(net, unlabeled, logits, null, new TrainingOptions(Epochs: 40, BatchSize: 32, LearningRate: 3e-3, Seed: 1));
        var teacherTop = Enumerable.Range(0, data.Count).Select(i => Trainer.ArgMax(logits.AsSpan(i * 10, 10))).ToArray();
        double agreement = Trainer.Accuracy(net, data with { Labels = teacherTop });
        Assert.True(agreement > 0.95, $"agreement with the teacher {agreement}");
        Assert.True(reports[^1].TrainAccuracy > 0.9);
    }
}
