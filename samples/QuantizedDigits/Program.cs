using System.Diagnostics;
using System.Runtime.InteropServices;
using QuantizedDigits;

// The held-out split (models/digits_test.csv): a label, then 64 pixels 0..16; the model takes pixel / 16.
var samples = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "digits_test.csv")).Skip(1)
    .Select(line => line.Split(',').Select(int.Parse).ToArray())
    .Select(v => (Label: v[0], Image: v[1..].Select(p => p / 16f).ToArray()))
    .ToArray();

var logits = new float[10];
var variants = new (string Name, Action<float[], float[]> Infer, int Arena, long Weights)[]
{
    ("float", (x, y) => DigitsFloat.Infer(x, y), DigitsFloat.ArenaBytes, DigitsFloat.WeightBytes),
    ("int8 (dynamic activations)", (x, y) => DigitsInt8.Infer(x, y), DigitsInt8.ArenaBytes, DigitsInt8.WeightBytes),
    ("int8 (static, MinMax)", (x, y) => DigitsInt8MinMax.Infer(x, y), DigitsInt8MinMax.ArenaBytes, DigitsInt8MinMax.WeightBytes),
    ("int8 (static, Percentile 99.99)", (x, y) => DigitsInt8Percentile.Infer(x, y), DigitsInt8Percentile.ArenaBytes, DigitsInt8Percentile.WeightBytes),
    ("int8 (static, Entropy)", (x, y) => DigitsInt8Entropy.Infer(x, y), DigitsInt8Entropy.ArenaBytes, DigitsInt8Entropy.WeightBytes),
    ("50% pruned, per layer", (x, y) => DigitsPrunedLayer.Infer(x, y), DigitsPrunedLayer.ArenaBytes, DigitsPrunedLayer.WeightBytes),
    ("50% pruned, per layer, output layer kept", (x, y) => DigitsPrunedLayerKeepOutput.Infer(x, y), DigitsPrunedLayerKeepOutput.ArenaBytes, DigitsPrunedLayerKeepOutput.WeightBytes),
    ("50% pruned, global", (x, y) => DigitsPrunedGlobal.Infer(x, y), DigitsPrunedGlobal.ArenaBytes, DigitsPrunedGlobal.WeightBytes),
    ("50% pruned (global) + int8", (x, y) => DigitsPrunedGlobalInt8.Infer(x, y), DigitsPrunedGlobalInt8.ArenaBytes, DigitsPrunedGlobalInt8.WeightBytes),
    ("structured 25%", (x, y) => DigitsStructured.Infer(x, y), DigitsStructured.ArenaBytes, DigitsStructured.WeightBytes),
    ("90% pruned, global (sparse kernels where they pay)", (x, y) => DigitsPrunedGlobal90.Infer(x, y), DigitsPrunedGlobal90.ArenaBytes, DigitsPrunedGlobal90.WeightBytes),
};

Console.WriteLine($"{RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}");
Console.WriteLine("| model | top-1 | ROM (weights) | RAM (arena) | median latency |");
Console.WriteLine("|---|---|---|---|---|");
var medians = new List<double>();
foreach (var (name, infer, arena, weights) in variants)
{
    int correct = samples.Count(s => { infer(s.Image, logits); return Array.IndexOf(logits, logits.Max()) == s.Label; });
    // Warm up (tiered JIT), then time calls one by one, in rounds, and keep the median.
    for (int i = 0; i < 5000; i++) infer(samples[i % samples.Length].Image, logits);
    var micros = new double[20000];
    for (int i = 0; i < micros.Length; i++)
    {
        var image = samples[i % samples.Length].Image;
        long start = Stopwatch.GetTimestamp();
        infer(image, logits);
        micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }
    Array.Sort(micros);
    double median = micros[micros.Length / 2];
    medians.Add(median);
    Console.WriteLine($"| {name} | {100.0 * correct / samples.Length:F2}% ({correct}/{samples.Length}) | {weights:N0} B | {arena:N0} B | {median:F2} us |");
}
for (int v = 1; v < variants.Length; v++) Console.WriteLine($"{variants[v].Name} / float latency: {medians[v] / medians[0]:F2}");
