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
    /// one batch of 8 tokens, one line each as the digits CNN prints them (index, label, predicted class, 10 logits).
    /// </summary>
    public static int Run(string mode)
    {
        if (mode == "check") return EfficientAI.Runtime.KernelSelfCheck.Run(Console.Out) == 0 ? 0 : 1;
        using var csv = new StreamReader(Assembly.GetExecutingAssembly().GetManifestResourceStream("digits_test.csv")!);
        csv.ReadLine();   // header: label, then 64 pixels 0..16 of an 8x8 image
        var input = new float[DigitsMoeInt8.InputLength];    // input 'input': float [8,64], pixel / 16
        var logits = new float[DigitsMoeInt8.LogitsLength];  // output 'logits': float [8,10]
        int tokens = input.Length / 64;
        var labels = new string[tokens];
        for (int i = 0; i < tokens; i++)
        {
            var fields = csv.ReadLine()!.Split(',');
            labels[i] = fields[0];
            for (int p = 0; p < 64; p++) input[i * 64 + p] = int.Parse(fields[p + 1], CultureInfo.InvariantCulture) / 16f;
        }
        DigitsMoeInt8.Infer(input, logits);
        for (int i = 0; i < tokens; i++)
        {
            var row = logits.AsSpan(i * 10, 10).ToArray();
            int predicted = Array.IndexOf(row, row.Max());
            Console.WriteLine($"{i} {labels[i]} {predicted} " + string.Join(' ', row.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        }
        return 0;
    }
}
#endif
