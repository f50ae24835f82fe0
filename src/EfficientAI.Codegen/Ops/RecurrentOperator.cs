using System;
using System.Collections.Generic;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Emit;
using EfficientAI.Codegen.Ir;

namespace EfficientAI.Codegen.Ops;

/// <summary>
/// Shared part of LSTM, GRU and RNN: inputs X, W, R, B, sequence_lens, initial_h (and LSTM's initial_c, P),
/// attributes direction, layout, hidden_size, activations with activation_alpha/beta, clip; outputs Y and Y_h
/// (and LSTM's Y_c), each optional. The kernels (EfficientAI.Runtime.Recurrent) keep gate buffers in the node's
/// scratch.
/// </summary>
internal abstract class RecurrentOperator : Operator
{
    /// <summary>Gate blocks in W and R (LSTM 4, GRU 3, RNN 1).</summary>
    protected abstract int Gates { get; }

    /// <summary>The activation functions of one direction, by default (LSTM f, g, h; GRU f, g; RNN f).</summary>
    protected abstract string[] DefaultActivations { get; }

    /// <summary>Outputs this op can have (LSTM 3: Y, Y_h, Y_c).</summary>
    protected virtual int MaxOutputs => 2;

    protected sealed record Geometry(int Steps, int Batch, int Input, int Hidden, string Direction, bool BatchMajor)
    {
        public int Directions => Direction == "bidirectional" ? 2 : 1;
    }

    protected Geometry Resolve(OpContext ctx)
    {
        for (int i = 0; i < 3; i++) ctx.RequireFloat(i);
        var x = ctx.Shape(0);
        if (x.Length != 3) throw ctx.Fail($"X {Shape.Format(x)} must have rank 3");
        bool batchMajor = ctx.Int("layout", 0) != 0;
        string direction = ctx.Str("direction", "forward");
        if (direction is not ("forward" or "reverse" or "bidirectional")) throw ctx.Fail($"direction '{direction}' must be forward, reverse or bidirectional");
        int dirs = direction == "bidirectional" ? 2 : 1;
        int steps = batchMajor ? x[1] : x[0], batch = batchMajor ? x[0] : x[1], input = x[2];
        var w = ctx.Shape(1);
        if (w.Length != 3 || w[0] != dirs || w[2] != input || w[1] % Gates != 0)
            throw ctx.Fail($"W {Shape.Format(w)} must be [{dirs}, {Gates}*hidden_size, {input}]");
        int hidden = (int)ctx.Int("hidden_size", w[1] / Gates);
        if (hidden <= 0 || w[1] != Gates * hidden) throw ctx.Fail($"W {Shape.Format(w)} does not match hidden_size {hidden}");
        Expect(ctx, 2, "R", new[] { dirs, Gates * hidden, hidden });
        Expect(ctx, 3, "B", new[] { dirs, 2 * Gates * hidden });
        if (ctx.Has(4))
        {
            if (ctx.Type(4) != DataType.Int32) throw ctx.Fail($"sequence_lens is {DataTypes.Name(ctx.Type(4))}; it must be int32");
            Expect(ctx, 4, "sequence_lens", new[] { batch });
            if (ctx.Const(4) is { } lengths && lengths.ToLongs().Any(l => l < 0 || l > steps))
                throw ctx.Fail($"sequence_lens [{string.Join(",", lengths.ToLongs())}] must lie in [0, {steps}]");
        }
        var state = batchMajor ? new[] { batch, dirs, hidden } : new[] { dirs, batch, hidden };
        Expect(ctx, 5, "initial_h", state);
        if (Gates == 4)
        {
            Expect(ctx, 6, "initial_c", state);
            Expect(ctx, 7, "P", new[] { dirs, 3 * hidden });
        }
        return new Geometry(steps, batch, input, hidden, direction, batchMajor);
    }

    private static void Expect(OpContext ctx, int input, string name, int[] shape)
    {
        if (!ctx.Has(input)) return;
        if (input != 4) ctx.RequireFloat(input);
        var s = ctx.Shape(input);
        if (!s.SequenceEqual(shape)) throw ctx.Fail($"{name} {Shape.Format(s)} must be {Shape.Format(shape)}");
    }

    public override void Infer(OpContext ctx)
    {
        var g = Resolve(ctx);
        if (ctx.OutputCount > MaxOutputs) throw ctx.Fail($"has {ctx.OutputCount} outputs; {OpType} has at most {MaxOutputs}");
        Activations(ctx, g.Directions);
        var state = g.BatchMajor ? new[] { g.Batch, g.Directions, g.Hidden } : new[] { g.Directions, g.Batch, g.Hidden };
        ctx.SetOutput(0, DataType.Float, g.BatchMajor ? new[] { g.Batch, g.Steps, g.Directions, g.Hidden } : new[] { g.Steps, g.Directions, g.Batch, g.Hidden });
        for (int i = 1; i < MaxOutputs; i++) ctx.SetOutput(i, DataType.Float, state);
    }

    public override long ScratchFloats(OpContext ctx)
    {
        var g = Resolve(ctx);
        long gh = (long)Gates * g.Hidden;
        return (long)g.Steps * g.Batch * gh + g.Batch * gh + 3L * g.Batch * g.Hidden + 2 * gh;
    }

    public override long Macs(OpContext ctx)
    {
        var g = Resolve(ctx);
        return (long)g.Directions * g.Steps * g.Batch * Gates * g.Hidden * (g.Input + g.Hidden);
    }

    private static readonly Dictionary<string, (string Name, float Alpha, float Beta, bool UsesAlpha, bool UsesBeta)> s_activations =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["Sigmoid"] = ("Sigmoid", 0f, 0f, false, false),
            ["Tanh"] = ("Tanh", 0f, 0f, false, false),
            ["Relu"] = ("Relu", 0f, 0f, false, false),
            ["Affine"] = ("Affine", 1f, 0f, true, true),
            ["LeakyRelu"] = ("LeakyRelu", 0.01f, 0f, true, false),
            ["ThresholdedRelu"] = ("ThresholdedRelu", 1f, 0f, true, false),
            ["ScaledTanh"] = ("ScaledTanh", 1f, 1f, true, true),
            ["HardSigmoid"] = ("HardSigmoid", 0.2f, 0.5f, true, true),
            ["Elu"] = ("Elu", 1f, 0f, true, false),
            ["Softsign"] = ("Softsign", 0f, 0f, false, false),
            ["Softplus"] = ("Softplus", 0f, 0f, false, false),
        };

    /// <summary>
    /// The activation functions of every direction with their alpha and beta: activation_alpha/beta are consumed
    /// in order by the functions that take them; missing values fall back to the functions' ONNX defaults.
    /// </summary>
    protected (string[] Names, float[] Alphas, float[] Betas) Activations(OpContext ctx, int directions)
    {
        int perDirection = DefaultActivations.Length;
        var names = ctx.Attr("activations") is { } a ? a.Strings.Select(s => s.ToStringUtf8()).ToArray()
            : Enumerable.Range(0, directions).SelectMany(_ => DefaultActivations).ToArray();
        if (names.Length != perDirection * directions)
            throw ctx.Fail($"activations has {names.Length} entries; {OpType} with {directions} direction(s) needs {perDirection * directions}");
        var alphaValues = ctx.Floats("activation_alpha") ?? Array.Empty<float>();
        var betaValues = ctx.Floats("activation_beta") ?? Array.Empty<float>();
        int nextAlpha = 0, nextBeta = 0;
        var alphas = new float[names.Length];
        var betas = new float[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            if (!s_activations.TryGetValue(names[i], out var f))
                throw new CompileError(DiagnosticDescriptors.UnsupportedOp, new[] { OpType, $"{ctx.Node.Display}: activation '{names[i]}' is not supported (supported: {string.Join(", ", s_activations.Values.Select(v => v.Name))})" });
            names[i] = f.Name;
            alphas[i] = f.UsesAlpha && nextAlpha < alphaValues.Length ? alphaValues[nextAlpha++] : f.Alpha;
            betas[i] = f.UsesBeta && nextBeta < betaValues.Length ? betaValues[nextBeta++] : f.Beta;
        }
        return (names, alphas, betas);
    }

    /// <summary>The arguments every kernel shares up to the outputs: x, w, r, b, sequence lengths, initial_h.</summary>
    protected static string CommonInputs(EmitContext ctx, Geometry g)
    {
        string Optional(int i) => ctx.Has(i) ? ctx.In(i) : "default";
        // Constant lengths that cover every step are the same as none.
        string lengths = ctx.Has(4) && !(ctx.Const(4) is { } l && l.ToLongs().All(v => v == g.Steps)) ? ctx.In(4) : "default";
        return $"{ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {Optional(3)}, {lengths}, {Optional(5)}";
    }

    protected static string OptionalOutput(EmitContext ctx, int i) => ctx.HasOutput(i) ? ctx.Out(i) : "default";

    /// <summary>shape, activations, alphas, betas, clip: the arguments after scratch.</summary>
    protected string Tail(EmitContext ctx, Geometry g)
    {
        var (names, alphas, betas) = Activations(ctx, g.Directions);
        string direction = g.Direction switch { "reverse" => "Reverse", "bidirectional" => "Bidirectional", _ => "Forward" };
        var codes = names.Select(n => (int)Enum.Parse(typeof(ActivationCode), n)).ToArray();
        float clip = ctx.HasAttr("clip") ? ctx.Float("clip", 0f) : 0f;
        return $"new global::EfficientAI.Runtime.RecurrentShape({g.Steps}, {g.Batch}, {g.Input}, {g.Hidden}, " +
            $"global::EfficientAI.Runtime.RecurrentDirection.{direction}, {EmitContext.B(g.BatchMajor)}), " +
            $"{ctx.IntTable(codes)}, {ctx.ConstantTable(Tensor.FromFloats(new[] { alphas.Length }, alphas), "rnn_alpha")}, " +
            $"{ctx.ConstantTable(Tensor.FromFloats(new[] { betas.Length }, betas), "rnn_beta")}, {EmitContext.F(clip)}";
    }

    protected void Comment(EmitContext ctx, Geometry g) =>
        ctx.W.Line($"// {OpType} {g.Direction} hidden {g.Hidden}, {g.Steps} steps x batch {g.Batch} x {g.Input}{(g.BatchMajor ? ", layout 1" : "")}");

    /// <summary>The runtime's RecurrentActivation values, by name (kept in the same order).</summary>
    private enum ActivationCode { Sigmoid, Tanh, Relu, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus }
}
