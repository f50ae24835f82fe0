using System;
using System.Collections.Generic;

namespace EfficientAI.Distill.Training;

/// <summary>Samples stored one after another (float32, as the .npy holds them), with optional class labels.</summary>
internal sealed record Dataset(float[] X, int[] SampleShape, int Count, int[]? Labels)
{
    public int SampleSize => Layer.Size(SampleShape);
}

internal sealed record TrainingOptions(double Temperature = 4, double Alpha = 0.7, int Epochs = 30, int BatchSize = 64, double LearningRate = 1e-3, long Seed = 1);

/// <summary>What one epoch achieved: mean loss, accuracy on the batches as trained (against labels, else the teacher's top class), validation accuracy.</summary>
internal sealed record EpochReport(int Epoch, int Epochs, double Loss, double TrainAccuracy, double? ValidationAccuracy);

/// <summary>Minibatch training of a student on soft targets and/or labels. Deterministic for a seed: same seed, same bits.</summary>
internal static class Trainer
{
    /// <summary>Initializes <paramref name="net"/> from the seed and trains it; teacherLogits [Count, classes], or null to train on labels only.</summary>
    public static List<EpochReport> Train(Network net, Dataset train, float[]? teacherLogits, Dataset? validation, TrainingOptions o,
        Action<EpochReport>? onEpoch = null, Action<int, int>? onBatch = null)
    {
        if (teacherLogits is null && train.Labels is null) throw new ArgumentException("training needs teacher logits, labels or both");
        int k = net.OutputSize, n = train.Count, size = train.SampleSize;
        var rng = new Rng(o.Seed);
        net.Initialize(rng);
        var adam = new Adam(net.Parameters, o.LearningRate);
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        int batchMax = Math.Min(o.BatchSize, n);
        var x = new float[batchMax * size];
        var t = teacherLogits is null ? null : new float[batchMax * k];
        var y = train.Labels is null ? null : new int[batchMax];
        var grad = new double[batchMax * k];
        var reports = new List<EpochReport>();
        int batches = (n + batchMax - 1) / batchMax;
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            rng.Shuffle(order);
            double lossSum = 0;
            int correct = 0;
            for (int start = 0, index = 0; start < n; start += batchMax, index++)
            {
                int batch = Math.Min(batchMax, n - start);
                for (int b = 0; b < batch; b++)
                {
                    int s = order[start + b];
                    Array.Copy(train.X, s * size, x, b * size, size);
                    if (t is not null) Array.Copy(teacherLogits!, s * k, t, b * k, k);
                    if (y is not null) y[b] = train.Labels![s];
                }
                var logits = net.Forward(x, batch);
                for (int b = 0; b < batch; b++)
                {
                    int target = y is not null ? y[b] : ArgMax(t.AsSpan(b * k, k));
                    if (ArgMax(logits.AsSpan(b * k, k)) == target) correct++;
                }
                lossSum += batch * Losses.Distillation(logits, t is null ? default : t.AsSpan(0, batch * k), y is null ? default : y.AsSpan(0, batch),
                    batch, k, o.Temperature, o.Alpha, grad);
                net.ZeroGradients();
                net.Backward(grad, batch);
                adam.Step();
                onBatch?.Invoke(index + 1, batches);
            }
            double? val = validation is { Labels: not null } v ? Accuracy(net, v) : null;
            var report = new EpochReport(epoch, o.Epochs, lossSum / n, (double)correct / n, val);
            reports.Add(report);
            onEpoch?.Invoke(report);
        }
        return reports;
    }

    /// <summary>The top class of each sample.</summary>
    public static int[] Predict(Network net, Dataset data, int batchSize = 256)
    {
        int k = net.OutputSize, size = data.SampleSize;
        var predictions = new int[data.Count];
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int batch = Math.Min(batchSize, data.Count - start);
            var logits = net.Forward(data.X.AsSpan(start * size, batch * size), batch);
            for (int b = 0; b < batch; b++) predictions[start + b] = ArgMax(logits.AsSpan(b * k, k));
        }
        return predictions;
    }

    public static double Accuracy(Network net, Dataset data)
    {
        var predictions = Predict(net, data);
        int correct = 0;
        for (int i = 0; i < predictions.Length; i++) if (predictions[i] == data.Labels![i]) correct++;
        return (double)correct / data.Count;
    }

    public static int ArgMax(ReadOnlySpan<double> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    public static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
