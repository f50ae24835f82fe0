// Compiles the same N random floats embedded three ways and reports Roslyn's wall time and managed
// allocation for parse + emit, each encoding in a fresh process-free run, one after another:
//   ulong: packed float bits in ulong hex literals behind ReadOnlySpan<ulong> (what the generator emits)
//   float: float literals behind ReadOnlySpan<float>
//   byte:  byte literals behind ReadOnlySpan<byte>
// usage: dotnet run -c Release --project tests/WeightsCompileBench [floats=2000000]
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2_000_000;
var rng = new Random(42);
var data = new float[n];
for (int i = 0; i < n; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
var bytes = new byte[n * 4];
Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);

string Source(string kind)
{
    var sb = new StringBuilder("public static class W {\n");
    switch (kind)
    {
        case "ulong":
            sb.Append("public static System.ReadOnlySpan<ulong> D => new ulong[] {");
            for (int i = 0; i < bytes.Length; i += 8)
                sb.Append(i % 64 == 0 ? "\n" : " ").Append("0x").Append(BitConverter.ToUInt64(bytes, i).ToString("X16", CultureInfo.InvariantCulture)).Append(',');
            break;
        case "float":
            sb.Append("public static System.ReadOnlySpan<float> D => new float[] {");
            for (int i = 0; i < n; i++) sb.Append(i % 8 == 0 ? "\n" : " ").Append(data[i].ToString("R", CultureInfo.InvariantCulture)).Append("f,");
            break;
        default:
            sb.Append("public static System.ReadOnlySpan<byte> D => new byte[] {");
            for (int i = 0; i < bytes.Length; i++) sb.Append(i % 32 == 0 ? "\n" : " ").Append(bytes[i]).Append(',');
            break;
    }
    return sb.Append("\n};\n}\n").ToString();
}

var refs = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
    .Where(p => Path.GetFileName(p) is "System.Runtime.dll" or "System.Private.CoreLib.dll" or "System.Memory.dll")
    .Select(p => MetadataReference.CreateFromFile(p)).ToArray();
Console.WriteLine($"{n:N0} floats ({bytes.Length / 1048576.0:F1} MiB), .NET {Environment.Version}, {Environment.ProcessorCount} cores");
Console.WriteLine("encoding  source MiB  compile s  allocated GiB  ratio time/ulong  ratio alloc/ulong");
double baseTime = 0, baseAlloc = 0;
foreach (var kind in new[] { "ulong", "float", "byte" })
{
    var text = Source(kind);
    GC.Collect();
    long before = GC.GetTotalAllocatedBytes(true);
    var sw = Stopwatch.StartNew();
    var tree = CSharpSyntaxTree.ParseText(text);
    var compilation = CSharpCompilation.Create("w_" + kind, new[] { tree }, refs, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release));
    using var ms = new MemoryStream();
    var result = compilation.Emit(ms);
    sw.Stop();
    double alloc = (GC.GetTotalAllocatedBytes(true) - before) / 1073741824.0;
    if (!result.Success) throw new InvalidOperationException(string.Join("\n", result.Diagnostics.Take(5)));
    if (kind == "ulong") { baseTime = sw.Elapsed.TotalSeconds; baseAlloc = alloc; }
    Console.WriteLine($"{kind,-8}  {text.Length / 1048576.0,10:F1}  {sw.Elapsed.TotalSeconds,9:F2}  {alloc,13:F2}  {sw.Elapsed.TotalSeconds / baseTime,16:F2}  {alloc / baseAlloc,17:F2}");
}
