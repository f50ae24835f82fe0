using System.Globalization;
using System.Reflection;
using Microsoft.ML.OnnxRuntime;

// samples/AotSample's output on ONNX Runtime: the same eight held-out samples, the same line format.
int sampleCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;

using var options = new SessionOptions { IntraOpNumThreads = 1 };
using var session = new InferenceSession(Path.Combine(AppContext.BaseDirectory, "digits_cnn.onnx"), options);
using var csv = new StreamReader(Assembly.GetExecutingAssembly().GetManifestResourceStream("digits_test.csv")!);
csv.ReadLine();
var image = new float[64];
var logits = new float[10];
using var input = OrtValue.CreateTensorValueFromMemory(image, new long[] { 1, 1, 8, 8 });
using var output = OrtValue.CreateTensorValueFromMemory(logits, new long[] { 1, 10 });
using var run = new RunOptions();
string[] inputNames = { "image" }, outputNames = { "logits" };

for (int i = 0; i < sampleCount && csv.ReadLine() is { } line; i++)
{
    var fields = line.Split(',');
    for (int p = 0; p < image.Length; p++) image[p] = int.Parse(fields[p + 1], CultureInfo.InvariantCulture) / 16f;
    session.Run(run, inputNames, new[] { input }, outputNames, new[] { output });
    int predicted = Array.IndexOf(logits, logits.Max());
    Console.WriteLine($"{i} {fields[0]} {predicted} " + string.Join(' ', logits.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
}
