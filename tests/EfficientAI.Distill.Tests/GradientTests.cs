using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Distill.Training;
using Xunit;

namespace EfficientAI.Distill.Tests;

/// <summary>
/// Every layer's and both losses' gradients against central finite differences, in double precision: step 1e-6,
/// agreement within 1e-6 relative to the largest gradient (the training code computes in double for this reason).
/// </summary>
public class GradientTests
{
    private const double Step = 1e-6, Tolerance = 1e-6;

    private static double[] Random(int n, Rng rng) => Enumerable.Range(0, n).Select(_ => rng.NextGaussian()).ToArray();

    /// <summary>L = sum(y * r) for a fixed random r: dL/dy = r, so the check covers the layer alone.</summary>
    private static void CheckLayer(Layer layer, int batch, long seed)
    {
        var rng = new Rng(seed);
        layer.Initialize(rng);
        foreach (var p in layer.Parameters) for (int i = 0; i < p.Value.Length; i++) p.Value[i] = rng.NextGaussian() * 0.5;
        var x = Random(batch * layer.InSize, rng);
        var r = Random(batch * layer.OutSize, rng);
        double Loss()
        {
            var y = new double[batch * layer.OutSize];
            layer.Forward(x, y, batch);
            return y.Select((v, i) => v * r[i]).Sum();
        }
        var yy = new double[batch * layer.OutSize];
        layer.Forward(x, yy, batch);
        var dx = new double[batch * layer.InSize];
        foreach (var p in layer.Parameters) Array.Clear(p.Grad);
        layer.Backward(x, yy, r, dx, batch);

        var checks = new List<(string What, double[] Values, double[] Analytic)> { ("input", x, dx) };
        checks.AddRange(layer.Parameters.Select(p => (p.Name, p.Value, p.Grad)));
        foreach (var (what, values, analytic) in checks)
        {
            double scale = Math.Max(1e-3, analytic.Max(Math.Abs));
            for (int i = 0; i < values.Length; i++)
            {
                double keep = values[i];
                values[i] = keep + Step;
                double up = Loss();
                values[i] = keep - Step;
                double down = Loss();
                values[i] = keep;
                double numeric = (up - down) / (2 * Step);
                Assert.True(Math.Abs(numeric - analytic[i]) <= Tolerance * scale + 1e-8,
                    $"{layer.GetType().Name} d/d{what}[{i}]: analytic {analytic[i]:R}, numeric {numeric:R}");
            }
        }
    }

    [Fact] public void Linear() => CheckLayer(new Linear(7, 5, "fc"), 3, 1);
    [Fact] public void Relu() => CheckLayer(new Relu(new[] { 2, 3, 3 }), 2, 2);
    [Fact] public void Flatten() => CheckLayer(new Flatten(new[] { 2, 3, 3 }), 2, 3);
    [Fact] public void ConvPadded() => CheckLayer(new Conv2d(new[] { 2, 6, 5 }, 3, 3, 1, 1, "conv"), 2, 4);
    [Fact] public void ConvStride2() => CheckLayer(new Conv2d(new[] { 3, 7, 6 }, 2, 3, 2, 1, "conv"), 2, 5);
    [Fact] public void ConvUnpadded5x5() => CheckLayer(new Conv2d(new[] { 1, 8, 8 }, 2, 5, 1, 0, "conv"), 1, 6);
    [Fact] public void MaxPool() => CheckLayer(new Pool2d(new[] { 2, 6, 5 }, 2, max: true), 2, 7);
    [Fact] public void AvgPool() => CheckLayer(new Pool2d(new[] { 2, 6, 6 }, 3, max: false), 2, 8);
    [Fact] public void GlobalAvgPool() => CheckLayer(new GlobalAvgPool(new[] { 3, 4, 5 }), 2, 9);

    /// <summary>The distillation loss with soft targets, labels, both, at several temperatures.</summary>
    [Theory]
    [InlineData(4.0, 0.7, true, true)]
    [InlineData(1.0, 0.5, true, true)]
    [InlineData(8.0, 1.0, true, false)]
    [InlineData(2.0, 0.0, false, true)]
    [InlineData(3.0, 0.3, true, true)]
    public void DistillationLoss(double temperature, double alpha, bool soft, bool hard)
    {
        const int batch = 3, classes = 5;
        var rng = new Rng(10);
        var z = Random(batch * classes, rng).Select(v => 3 * v).ToArray();
        var teacher = soft ? Random(batch * classes, rng).Select(v => (float)(4 * v)).ToArray() : Array.Empty<float>();
        var labels = hard ? new[] { 1, 4, 0 } : Array.Empty<int>();
        var g = new double[batch * classes];
        double Loss(double[] logits) => Losses.Distillation(logits, teacher, labels, batch, classes, temperature, alpha, new double[batch * classes]);
        double loss = Losses.Distillation(z, teacher, labels, batch, classes, temperature, alpha, g);
        Assert.True(loss > 0);
        for (int i = 0; i < z.Length; i++)
        {
            double keep = z[i];
            z[i] = keep + Step;
            double up = Loss(z);
            z[i] = keep - Step;
            double down = Loss(z);
            z[i] = keep;
            double numeric = (up - down) / (2 * Step);
            Assert.True(Math.Abs(numeric - g[i]) <= 1e-7 + 1e-6 * Math.Abs(g[i]), $"dL/dz[{i}]: analytic {g[i]:R}, numeric {numeric:R}");
        }
    }

    /// <summary>KL is zero when the student equals the teacher; the loss then is the cross-entropy part alone.</summary>
    [Fact]
    public void KlVanishesOnTheTeacher()
    {
        var z = new double[] { 1, -2, 0.5, 3 };
        var t = z.Select(v => (float)v).ToArray();
        var g = new double[4];
        double loss = Losses.Distillation(z.Select(v => (double)(float)v).ToArray(), t, default, 1, 4, 4, 1, g);
        Assert.True(Math.Abs(loss) < 1e-12, $"loss {loss}");
        Assert.All(g, v => Assert.True(Math.Abs(v) < 1e-12));
    }

    /// <summary>The whole network, end to end: a CNN spec's parameters against finite differences of the distillation loss.</summary>
    [Fact]
    public void WholeNetwork()
    {
        var net = StudentSpec.Parse("cnn:c3k3-p2-c4k3s2-f6").Build(new[] { 2, 8, 8 }, 4);
        var rng = new Rng(11);
        net.Initialize(rng);
        const int batch = 2;
        var x = Random(batch * net.InputSize, rng);
        var teacher = Random(batch * 4, rng).Select(v => (float)v).ToArray();
        var labels = new[] { 2, 0 };
        var g = new double[batch * 4];
        double Loss() => Losses.Distillation(net.Forward(x, batch), teacher, labels, batch, 4, 3, 0.6, new double[batch * 4]);
        Losses.Distillation(net.Forward(x, batch), teacher, labels, batch, 4, 3, 0.6, g);
        net.ZeroGradients();
        net.Backward(g, batch);
        foreach (var p in net.Parameters)
        {
            double scale = Math.Max(1e-3, p.Grad.Max(Math.Abs));
            var analytic = p.Grad.ToArray();
            for (int i = 0; i < p.Value.Length; i++)
            {
                double keep = p.Value[i];
                p.Value[i] = keep + Step;
                double up = Loss();
                p.Value[i] = keep - Step;
                double down = Loss();
                p.Value[i] = keep;
                double numeric = (up - down) / (2 * Step);
                Assert.True(Math.Abs(numeric - analytic[i]) <= Tolerance * scale + 1e-8, $"{p.Name}[{i}]: analytic {analytic[i]:R}, numeric {numeric:R}");
            }
        }
    }
}
