using System.Diagnostics;
using QuickStart;

// The held-out test split: each line is a label 0..9, then 64 pixels 0..16 (an 8x8 image, row-major).
// The model expects input 'image' as float [1,1,8,8] with pixel / 16.
var samples = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "digits_test.csv"))
    .Skip(1)
    .Select(line => line.Split(',').Select(int.Parse).ToArray())
    .Select(v => (Label: v[0], Image: v[1..].Select(p => p / 16f).ToArray()))
    .ToArray();

var logits = new float[DigitsCnn.LogitsLength];   // output 'logits': float [1,10]

int Predict(float[] image)
{
    DigitsCnn.Infer(image, logits);
    return Array.IndexOf(logits, logits.Max());
}

int correct = 0;
for (int i = 0; i < samples.Length; i++)
{
    int predicted = Predict(samples[i].Image);
    if (predicted == samples[i].Label) correct++;
    if (i < 10) Console.WriteLine($"sample {i}: predicted {predicted}, label {samples[i].Label}");
}
double accuracy = (double)correct / samples.Length;
Console.WriteLine($"Accuracy: {correct}/{samples.Length} = {100 * accuracy:F2}%");
Console.WriteLine($"ArenaBytes: {DigitsCnn.ArenaBytes}, WeightBytes: {DigitsCnn.WeightBytes}, MacsPerInference: {DigitsCnn.MacsPerInference}");

// Timing: warm up, then time each call separately and report the median.
for (int i = 0; i < 200; i++) DigitsCnn.Infer(samples[i % samples.Length].Image, logits);
var micros = new double[2000];
for (int i = 0; i < micros.Length; i++)
{
    var image = samples[i % samples.Length].Image;
    long start = Stopwatch.GetTimestamp();
    DigitsCnn.Infer(image, logits);
    micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
}
Array.Sort(micros);
Console.WriteLine($"Median time per inference: {micros[micros.Length / 2]:F1} us ({micros.Length} calls)");

if (accuracy < 0.97)
{
    Console.Error.WriteLine("Accuracy is below 97%: the compiled model does not match the trained one.");
    return 1;
}
return 0;
