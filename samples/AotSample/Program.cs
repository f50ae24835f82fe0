using System.Globalization;
using System.Reflection;
using AotSample;

// Prints the digits CNN's logits for the first held-out samples, one line each: index, label, predicted
// class, then the 10 logits in round-trip form. .ci/aot.sh compares these lines between the JIT run and the
// NativeAOT binaries for linux-x64 and linux-arm64.
// An optional argument sets the number of samples (1 for the cold-start figure in docs/deployment.md).
// Built with -p:KernelCheck=true (.ci/aot.sh), `check`, `moe` and `int8` run KernelCheck.cs instead.
#if KERNEL_CHECK
if (args.Length > 0 && args[0] is "check" or "moe" or "int8") return KernelCheck.Run(args[0]);
#endif
int sampleCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;

using var csv = new StreamReader(Assembly.GetExecutingAssembly().GetManifestResourceStream("digits_test.csv")!);
csv.ReadLine();   // header: label, then 64 pixels 0..16 of an 8x8 image
var image = new float[DigitsCnn.ImageLength];   // input 'image': float [1,1,8,8], pixel / 16
var logits = new float[DigitsCnn.LogitsLength]; // output 'logits': float [1,10]

for (int i = 0; i < sampleCount && csv.ReadLine() is { } line; i++)
{
    var fields = line.Split(',');
    for (int p = 0; p < image.Length; p++) image[p] = int.Parse(fields[p + 1], CultureInfo.InvariantCulture) / 16f;
    DigitsCnn.Infer(image, logits);
    int predicted = Array.IndexOf(logits, logits.Max());
    Console.WriteLine($"{i} {fields[0]} {predicted} " + string.Join(' ', logits.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
}
return 0;
