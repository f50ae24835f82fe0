using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using EfficientAI.Distill.Training;

namespace EfficientAI.Distill;

/// <summary>A student spec that cannot be built: the message names the token and what is wrong.</summary>
internal sealed class SpecException : Exception
{
    public SpecException(string message) : base(message) { }
}

/// <summary>
/// The compact student description. <c>mlp:64-32</c>: hidden widths, each Linear + ReLU. <c>cnn:c8k3-p2-c16k3-p2-f32</c>:
/// <c>c{out}k{k}[s{stride}][p{pad}]</c> Conv + ReLU (padding k/2 unless given), <c>p{k}</c> max pool k x k stride k,
/// <c>a{k}</c> average pool, <c>g</c> global average pool, <c>f{n}</c> fully connected + ReLU. The output layer
/// (Linear to the teacher's width) is always added; a Flatten goes before the first fully connected layer.
/// </summary>
internal sealed partial class StudentSpec
{
    private abstract record Token(string Text);
    private sealed record ConvToken(string Text, int Channels, int Kernel, int Stride, int Padding) : Token(Text);
    private sealed record PoolToken(string Text, int Kernel, bool Max) : Token(Text);
    private sealed record GlobalPoolToken(string Text) : Token(Text);
    private sealed record DenseToken(string Text, int Width) : Token(Text);

    private const int MaxWidth = 1 << 16;
    private readonly List<Token> _tokens;

    private StudentSpec(string text, bool convolutional, List<Token> tokens)
    {
        Text = text;
        IsConvolutional = convolutional;
        _tokens = tokens;
    }

    public string Text { get; }
    public bool IsConvolutional { get; }

    [GeneratedRegex(@"^c(\d+)k(\d+)(?:s(\d+))?(?:p(\d+))?$")] private static partial Regex ConvPattern();
    [GeneratedRegex(@"^([pa])(\d+)$")] private static partial Regex PoolPattern();
    [GeneratedRegex(@"^f(\d+)$")] private static partial Regex DensePattern();

    public static StudentSpec Parse(string text)
    {
        var spec = (text ?? "").Trim();
        int colon = spec.IndexOf(':');
        if (colon < 0) throw new SpecException($"student spec '{spec}': expected 'mlp:WIDTH-WIDTH...' or 'cnn:TOKEN-TOKEN...' (e.g. mlp:64-32, cnn:c8k3-p2-c16k3-p2-f32)");
        var kind = spec.Substring(0, colon).ToLowerInvariant();
        var parts = spec.Substring(colon + 1).Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length == 1 && parts[0].Length == 0) throw new SpecException($"student spec '{spec}': no layers after '{kind}:'");
        var tokens = new List<Token>();
        for (int i = 0; i < parts.Length; i++)
        {
            var p = parts[i].ToLowerInvariant();
            string where = $"student spec '{spec}', token {i + 1} '{parts[i]}'";
            if (p.Length == 0) throw new SpecException($"student spec '{spec}': empty token {i + 1} (two '-' in a row?)");
            if (kind == "mlp")
            {
                if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int width))
                    throw new SpecException($"{where}: an MLP spec lists hidden widths as positive integers (mlp:64-32)");
                tokens.Add(new DenseToken(parts[i], CheckWidth(width, where)));
            }
            else if (kind == "cnn")
            {
                Match m;
                if ((m = ConvPattern().Match(p)).Success)
                {
                    int channels = CheckWidth(Int(m.Groups[1].Value, where), where), kernel = Int(m.Groups[2].Value, where);
                    int stride = m.Groups[3].Success ? Int(m.Groups[3].Value, where) : 1;
                    int padding = m.Groups[4].Success ? Int(m.Groups[4].Value, where) : kernel / 2;
                    if (kernel < 1 || kernel > 15) throw new SpecException($"{where}: kernel size {kernel} is outside 1..15");
                    if (stride < 1 || stride > 4) throw new SpecException($"{where}: stride {stride} is outside 1..4");
                    if (padding >= kernel) throw new SpecException($"{where}: padding {padding} must be smaller than the kernel {kernel}");
                    tokens.Add(new ConvToken(parts[i], channels, kernel, stride, padding));
                }
                else if ((m = PoolPattern().Match(p)).Success)
                {
                    int k = Int(m.Groups[2].Value, where);
                    if (k < 2 || k > 8) throw new SpecException($"{where}: pooling window {k} is outside 2..8");
                    tokens.Add(new PoolToken(parts[i], k, m.Groups[1].Value == "p"));
                }
                else if (p == "g") tokens.Add(new GlobalPoolToken(parts[i]));
                else if ((m = DensePattern().Match(p)).Success) tokens.Add(new DenseToken(parts[i], CheckWidth(Int(m.Groups[1].Value, where), where)));
                else throw new SpecException($"{where}: not a layer; use c{{out}}k{{k}}[s{{stride}}][p{{pad}}] (conv), p{{k}} (max pool), a{{k}} (average pool), g (global average pool), f{{n}} (fully connected)");
                if (tokens[^1] is not DenseToken && tokens.Take(tokens.Count - 1).Any(t => t is DenseToken))
                    throw new SpecException($"{where}: convolution and pooling layers must come before the fully connected ones");
            }
            else throw new SpecException($"student spec '{spec}': unknown kind '{kind}'; use 'mlp:' or 'cnn:'");
        }
        return new StudentSpec(spec, kind == "cnn", tokens);
    }

    private static int Int(string digits, string where) =>
        int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw new SpecException($"{where}: number '{digits}' is too large");

    private static int CheckWidth(int width, string where) =>
        width is >= 1 and <= MaxWidth ? width : throw new SpecException($"{where}: width {width} is outside 1..{MaxWidth}");

    /// <summary>
    /// The network for a teacher input of <paramref name="sampleShape"/> (without the batch dimension) and
    /// <paramref name="classes"/> outputs; every shape is checked here, before any training.
    /// </summary>
    public Network Build(int[] sampleShape, int classes)
    {
        if (classes < 2) throw new SpecException($"the teacher has {classes} output(s); a classifier student needs at least 2");
        if (sampleShape.Length == 0 || sampleShape.Any(d => d < 1)) throw new SpecException($"the teacher's input shape per sample [{string.Join(",", sampleShape)}] is not a static, non-empty shape");
        var layers = new List<Layer>();
        int[] shape = sampleShape;
        if (IsConvolutional)
        {
            if (sampleShape.Length != 3)
                throw new SpecException($"student spec '{Text}': a cnn student needs a teacher input of [N,C,H,W]; this teacher takes [N,{string.Join(",", sampleShape)}] (use an mlp: spec)");
        }
        else if (shape.Length != 1)
        {
            layers.Add(new Flatten(shape));
            shape = layers[^1].OutShape;
        }
        int conv = 0, dense = 0;
        foreach (var token in _tokens)
        {
            string where = $"student spec '{Text}', token '{token.Text}'";
            switch (token)
            {
                case ConvToken c:
                    int oh = Conv2d.OutDim(shape[1], c.Kernel, c.Stride, c.Padding), ow = Conv2d.OutDim(shape[2], c.Kernel, c.Stride, c.Padding);
                    if (oh < 1 || ow < 1) throw new SpecException($"{where}: a {c.Kernel}x{c.Kernel} kernel (stride {c.Stride}, padding {c.Padding}) does not fit the input [{Format(shape)}]");
                    layers.Add(new Conv2d(shape, c.Channels, c.Kernel, c.Stride, c.Padding, "conv" + ++conv));
                    layers.Add(new Relu(layers[^1].OutShape));
                    break;
                case PoolToken p:
                    if (shape[1] < p.Kernel || shape[2] < p.Kernel) throw new SpecException($"{where}: a {p.Kernel}x{p.Kernel} pool turns [{Format(shape)}] into [{shape[0]},{shape[1] / p.Kernel},{shape[2] / p.Kernel}]");
                    layers.Add(new Pool2d(shape, p.Kernel, p.Max));
                    break;
                case GlobalPoolToken:
                    layers.Add(new GlobalAvgPool(shape));
                    break;
                case DenseToken d:
                    if (shape.Length != 1)
                    {
                        layers.Add(new Flatten(shape));
                        shape = layers[^1].OutShape;
                    }
                    layers.Add(new Linear(shape[0], d.Width, "fc" + ++dense));
                    layers.Add(new Relu(layers[^1].OutShape));
                    break;
            }
            shape = layers[^1].OutShape;
        }
        if (shape.Length != 1)
        {
            layers.Add(new Flatten(shape));
            shape = layers[^1].OutShape;
        }
        layers.Add(new Linear(shape[0], classes, "classifier"));
        return new Network(layers);
    }

    private static string Format(int[] shape) => string.Join(",", shape);
}
