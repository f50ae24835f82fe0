#if KERNEL_CHECK
using System.Globalization;
using System.Reflection;

namespace AotSample;

/// <summary>What .ci/aot.sh runs on each NativeAOT binary besides the digits CNN (built with -p:KernelCheck=true).</summary>
internal static class KernelCheck
{
    /// <summary>
    /// `check`: EfficientAI.Runtime.KernelSelfCheck (every int8 product path and vector width this machine has against
    /// plain references), exit code 1 on any mismatch. `moe`: the int8 MoE classifier on the first 8 held-out samples as
    /// one batch of 8 tokens; `int8`: the 16x16 digits CNN (models/shifted_digits_cnn.onnx) with Quantize="int8" on the
    /// same samples scaled up, one by one. Both print one line per sample as the float digits CNN does (index, label,
    /// predicted class, 10 logits).
    /// </summary>
    public static int Run(string mode)
    {
        if (mode == "check") return EfficientAI.Runtime.KernelSelfCheck.Run(Console.Out) == 0 ? 0 : 1;
        using var csv = new StreamReader(Assembly.GetExecutingAssembly().GetManifestResourceStream("digits_test.csv")!);
        csv.ReadLine();   // header: label, then 64 pixels 0..16 of an 8x8 image
        const int samples = 8;
        var pixels = new float[samples * 64];   // pixel / 16
        var labels = new string[samples];
        for (int i = 0; i < samples; i++)
        {
            var fields = csv.ReadLine()!.Split(',');
            labels[i] = fields[0];
            for (int p = 0; p < 64; p++) pixels[i * 64 + p] = int.Parse(fields[p + 1], CultureInfo.InvariantCulture) / 16f;
        }
        var logits = new float[samples * 10];
        if (mode == "moe")
        {
            DigitsMoeInt8.Infer(pixels, logits);   // input 'input': float [8,64]; output 'logits': float [8,10]
        }
        else
        {
            // input 'image': float [1,1,16,16], each 8x8 pixel repeated 2x2; output 'logits': float [1,10]
            var image = new float[ShiftedDigitsInt8.ImageLength];
            for (int i = 0; i < samples; i++)
            {
                for (int p = 0; p < image.Length; p++) image[p] = pixels[i * 64 + p / 16 / 2 * 8 + p % 16 / 2];
                ShiftedDigitsInt8.Infer(image, logits.AsSpan(i * 10, ShiftedDigitsInt8.LogitsLength));
            }
        }
        for (int i = 0; i < samples; i++)
        {
            var row = logits.AsSpan(i * 10, 10).ToArray();
            int predicted = Array.IndexOf(row, row.Max());
            Console.WriteLine($"{i} {labels[i]} {predicted} " + string.Join(' ', row.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        }
        return 0;
    }
}
#endif
