// LSTM, GRU and RNN. Per direction, the input projection of every time step is one GEMM (x [steps*batch, input]
// times W^T, biases folded in as its C term); each step then runs one GEMM of the hidden state against R^T for the
// whole batch and finishes the gates with vectorized element-wise passes. Working memory is the caller's scratch
// span (the generator reserves it in the arena), so nothing is allocated.
using System;
using System.Numerics.Tensors;

namespace EfficientAI.Runtime;

/// <summary>Activation functions the recurrent ops accept (ONNX names, case-insensitive in the model).</summary>
public enum RecurrentActivation
{
    /// <summary>1 / (1 + exp(-x))</summary>
    Sigmoid,
    /// <summary>tanh(x)</summary>
    Tanh,
    /// <summary>max(0, x)</summary>
    Relu,
    /// <summary>alpha * x + beta</summary>
    Affine,
    /// <summary>x &gt;= 0 ? x : alpha * x</summary>
    LeakyRelu,
    /// <summary>x &gt;= alpha ? x : 0</summary>
    ThresholdedRelu,
    /// <summary>alpha * tanh(beta * x)</summary>
    ScaledTanh,
    /// <summary>min(max(alpha * x + beta, 0), 1)</summary>
    HardSigmoid,
    /// <summary>x &gt;= 0 ? x : alpha * (exp(x) - 1)</summary>
    Elu,
    /// <summary>x / (1 + |x|)</summary>
    Softsign,
    /// <summary>log(1 + exp(x))</summary>
    Softplus,
}

/// <summary>Direction of a recurrent op.</summary>
public enum RecurrentDirection
{
    /// <summary>Time steps 0 .. n-1.</summary>
    Forward,
    /// <summary>Time steps n-1 .. 0.</summary>
    Reverse,
    /// <summary>Both, forward first: outputs stack the two on the direction axis.</summary>
    Bidirectional,
}

/// <summary>Sizes and layout of one recurrent node.</summary>
/// <param name="Steps">Sequence length (seq_length).</param>
/// <param name="Batch">Batch size.</param>
/// <param name="Input">Input features per step.</param>
/// <param name="Hidden">hidden_size.</param>
/// <param name="Direction">forward, reverse or bidirectional.</param>
/// <param name="BatchMajor">layout=1: x [batch, steps, input], y [batch, steps, dirs, hidden], states [batch, dirs, hidden];
/// otherwise x [steps, batch, input], y [steps, dirs, batch, hidden], states [dirs, batch, hidden].</param>
public readonly record struct RecurrentShape(int Steps, int Batch, int Input, int Hidden, RecurrentDirection Direction, bool BatchMajor)
{
    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions => Direction == RecurrentDirection.Bidirectional ? 2 : 1;

    /// <summary>Floats of scratch the kernels need for a cell with this many gates.</summary>
    public int ScratchFloats(int gates) => Steps * Batch * gates * Hidden + Batch * gates * Hidden + 3 * Batch * Hidden + 2 * gates * Hidden;

    internal int XRow(int t, int b) => BatchMajor ? b * Steps + t : t * Batch + b;
    internal int YOffset(int t, int d, int b) => (BatchMajor ? (b * Steps + t) * Directions + d : (t * Directions + d) * Batch + b) * Hidden;
    internal int StateOffset(int d, int b) => (BatchMajor ? b * Directions + d : d * Batch + b) * Hidden;
}

/// <summary>The ONNX recurrent ops: LSTM (gates i, o, f, c), GRU (z, r, h) and RNN.</summary>
public static class Recurrent
{
    private enum Cell { Lstm, Gru, Rnn }

    /// <summary>
    /// LSTM. w [dirs, 4h, input], r [dirs, 4h, h], b [dirs, 8h] or empty, sequenceLengths [batch] or empty (all full),
    /// initialH/initialC in the state layout or empty (zeros), peepholes [dirs, 3h] or empty. y, yH, yC may be empty
    /// (not wanted). activations holds (f, g, h) per direction with their alpha and beta; clip &lt;= 0 means none.
    /// </summary>
    public static void Lstm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> r, ReadOnlySpan<float> b,
        ReadOnlySpan<int> sequenceLengths, ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC, ReadOnlySpan<float> peepholes,
        Span<float> y, Span<float> yH, Span<float> yC, Span<float> scratch, RecurrentShape shape,
        ReadOnlySpan<int> activations, ReadOnlySpan<float> alphas, ReadOnlySpan<float> betas, float clip, bool inputForget) =>
        Run(Cell.Lstm, x, w, r, b, sequenceLengths, initialH, initialC, peepholes, y, yH, yC, scratch, shape, activations, alphas, betas, clip, inputForget);

    /// <summary>
    /// GRU. w [dirs, 3h, input], r [dirs, 3h, h], b [dirs, 6h] or empty; activations (f, g) per direction.
    /// linearBeforeReset applies the reset gate after the recurrent product (and its bias).
    /// </summary>
    public static void Gru(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> r, ReadOnlySpan<float> b,
        ReadOnlySpan<int> sequenceLengths, ReadOnlySpan<float> initialH, Span<float> y, Span<float> yH, Span<float> scratch,
        RecurrentShape shape, ReadOnlySpan<int> activations, ReadOnlySpan<float> alphas, ReadOnlySpan<float> betas, float clip, bool linearBeforeReset) =>
        Run(Cell.Gru, x, w, r, b, sequenceLengths, initialH, default, default, y, yH, default, scratch, shape, activations, alphas, betas, clip, linearBeforeReset);

    /// <summary>RNN. w [dirs, h, input], r [dirs, h, h], b [dirs, 2h] or empty; activations (f) per direction.</summary>
    public static void Rnn(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> r, ReadOnlySpan<float> b,
        ReadOnlySpan<int> sequenceLengths, ReadOnlySpan<float> initialH, Span<float> y, Span<float> yH, Span<float> scratch,
        RecurrentShape shape, ReadOnlySpan<int> activations, ReadOnlySpan<float> alphas, ReadOnlySpan<float> betas, float clip) =>
        Run(Cell.Rnn, x, w, r, b, sequenceLengths, initialH, default, default, y, yH, default, scratch, shape, activations, alphas, betas, clip, false);

    private static void Run(Cell cell, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> r, ReadOnlySpan<float> b,
        ReadOnlySpan<int> sequenceLengths, ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC, ReadOnlySpan<float> peepholes,
        Span<float> y, Span<float> yH, Span<float> yC, Span<float> scratch, RecurrentShape shape,
        ReadOnlySpan<int> activations, ReadOnlySpan<float> alphas, ReadOnlySpan<float> betas, float clip, bool flag)
    {
        int gates = cell switch { Cell.Lstm => 4, Cell.Gru => 3, _ => 1 };
        int perDirection = cell switch { Cell.Lstm => 3, Cell.Gru => 2, _ => 1 };
        int steps = shape.Steps, batch = shape.Batch, input = shape.Input, hidden = shape.Hidden, dirs = shape.Directions;
        int gh = gates * hidden;
        if (x.Length != steps * batch * input) ThrowHelper.Argument("x does not match the shape.");
        if (w.Length != dirs * gh * input || r.Length != dirs * gh * hidden) ThrowHelper.Argument("w or r does not match the shape.");
        if (!b.IsEmpty && b.Length != dirs * 2 * gh) ThrowHelper.Argument("b does not match the shape.");
        if (!sequenceLengths.IsEmpty && sequenceLengths.Length != batch) ThrowHelper.Argument("sequenceLengths must hold one length per batch entry.");
        int stateLength = dirs * batch * hidden;
        if ((!initialH.IsEmpty && initialH.Length != stateLength) || (!initialC.IsEmpty && initialC.Length != stateLength))
            ThrowHelper.Argument("initial states do not match the shape.");
        if (!peepholes.IsEmpty && peepholes.Length != dirs * 3 * hidden) ThrowHelper.Argument("peepholes do not match the shape.");
        if ((!y.IsEmpty && y.Length != steps * stateLength) || (!yH.IsEmpty && yH.Length != stateLength) || (!yC.IsEmpty && yC.Length != stateLength))
            ThrowHelper.Argument("an output does not match the shape.");
        if (activations.Length != dirs * perDirection || alphas.Length != activations.Length || betas.Length != activations.Length)
            ThrowHelper.Argument("activations, alphas and betas need one entry per activation function.");
        if (scratch.Length < shape.ScratchFloats(gates)) ThrowHelper.Argument("scratch is too short.");
        for (int i = 0; i < sequenceLengths.Length; i++)
            if (sequenceLengths[i] < 0 || sequenceLengths[i] > steps) ThrowHelper.Argument("a sequence length is outside [0, steps].");

        var projected = scratch.Slice(0, steps * batch * gh);
        var gateRows = scratch.Slice(projected.Length, batch * gh);
        var h = scratch.Slice(projected.Length + gateRows.Length, batch * hidden);
        var c = scratch.Slice(projected.Length + gateRows.Length + batch * hidden, batch * hidden);
        var temp = scratch.Slice(projected.Length + gateRows.Length + 2 * batch * hidden, batch * hidden);
        var bias = scratch.Slice(projected.Length + gateRows.Length + 3 * batch * hidden, gh);
        var recurrentBias = scratch.Slice(projected.Length + gateRows.Length + 3 * batch * hidden + gh, gh);

        // Padded steps of short sequences read as zeros in y.
        if (!sequenceLengths.IsEmpty) y.Clear();

        for (int d = 0; d < dirs; d++)
        {
            bool reverse = shape.Direction == RecurrentDirection.Reverse || d == 1;
            var wd = w.Slice(d * gh * input, gh * input);
            var rd = r.Slice(d * gh * hidden, gh * hidden);
            var act = activations.Slice(d * perDirection, perDirection);
            var alpha = alphas.Slice(d * perDirection, perDirection);
            var beta = betas.Slice(d * perDirection, perDirection);
            var pd = peepholes.IsEmpty ? default : peepholes.Slice(d * 3 * hidden, 3 * hidden);

            // The input bias and every recurrent bias that is simply added ride on the input projection; GRU with
            // linear_before_reset keeps Rbh apart because the reset gate multiplies it.
            if (b.IsEmpty)
            {
                bias.Clear();
                recurrentBias.Clear();
            }
            else
            {
                var wb = b.Slice(d * 2 * gh, gh);
                var rb = b.Slice(d * 2 * gh + gh, gh);
                TensorPrimitives.Add(wb, rb, bias);
                rb.CopyTo(recurrentBias);
                if (cell == Cell.Gru && flag) wb.Slice(2 * hidden, hidden).CopyTo(bias.Slice(2 * hidden, hidden));
            }
            Gemm.Compute(x, wd, bias, projected, steps * batch, gh, input, false, true, 1f, 1f, 1, gh);

            for (int bi = 0; bi < batch; bi++)
            {
                int so = shape.StateOffset(d, bi);
                if (initialH.IsEmpty) h.Slice(bi * hidden, hidden).Clear(); else initialH.Slice(so, hidden).CopyTo(h.Slice(bi * hidden, hidden));
                if (cell == Cell.Lstm)
                {
                    if (initialC.IsEmpty) c.Slice(bi * hidden, hidden).Clear(); else initialC.Slice(so, hidden).CopyTo(c.Slice(bi * hidden, hidden));
                }
            }

            for (int s = 0; s < steps; s++)
            {
                switch (cell)
                {
                    case Cell.Lstm:
                        Gemm.Compute(h, rd, default, gateRows, batch, gh, hidden, false, true, 1f, 0f, 0, 0);
                        for (int bi = 0; bi < batch; bi++)
                        {
                            if (!Active(sequenceLengths, steps, bi, s, reverse, out int t)) continue;
                            var g = gateRows.Slice(bi * gh, gh);
                            TensorPrimitives.Add(g, projected.Slice(shape.XRow(t, bi) * gh, gh), g);
                            LstmCell(g, h.Slice(bi * hidden, hidden), c.Slice(bi * hidden, hidden), pd, act, alpha, beta, clip, flag);
                            if (!y.IsEmpty) h.Slice(bi * hidden, hidden).CopyTo(y.Slice(shape.YOffset(t, d, bi), hidden));
                        }
                        break;
                    case Cell.Gru:
                        GruStep(shape, s, reverse, d, sequenceLengths, projected, rd, recurrentBias, gateRows, h, temp, c, y, act, alpha, beta, clip, flag);
                        break;
                    default:
                        Gemm.Compute(h, rd, default, gateRows, batch, gh, hidden, false, true, 1f, 0f, 0, 0);
                        for (int bi = 0; bi < batch; bi++)
                        {
                            if (!Active(sequenceLengths, steps, bi, s, reverse, out int t)) continue;
                            var g = gateRows.Slice(bi * gh, gh);
                            TensorPrimitives.Add(g, projected.Slice(shape.XRow(t, bi) * gh, gh), g);
                            Clip(g, clip);
                            Activate((RecurrentActivation)act[0], alpha[0], beta[0], g);
                            g.CopyTo(h.Slice(bi * hidden, hidden));
                            if (!y.IsEmpty) g.CopyTo(y.Slice(shape.YOffset(t, d, bi), hidden));
                        }
                        break;
                }
            }

            for (int bi = 0; bi < batch; bi++)
            {
                int so = shape.StateOffset(d, bi);
                if (!yH.IsEmpty) h.Slice(bi * hidden, hidden).CopyTo(yH.Slice(so, hidden));
                if (!yC.IsEmpty) c.Slice(bi * hidden, hidden).CopyTo(yC.Slice(so, hidden));
            }
        }
    }

    /// <summary>Whether batch entry bi runs at step s, and the time index it processes then.</summary>
    private static bool Active(ReadOnlySpan<int> sequenceLengths, int steps, int bi, int s, bool reverse, out int t)
    {
        int length = sequenceLengths.IsEmpty ? steps : sequenceLengths[bi];
        t = reverse ? length - 1 - s : s;
        return s < length;
    }

    /// <summary>One LSTM step for one batch entry: g holds the pre-activations (i, o, f, c); h and c are updated in place.</summary>
    private static void LstmCell(Span<float> g, Span<float> h, Span<float> c, ReadOnlySpan<float> peepholes,
        ReadOnlySpan<int> act, ReadOnlySpan<float> alpha, ReadOnlySpan<float> beta, float clip, bool inputForget)
    {
        int n = h.Length;
        var gi = g.Slice(0, n);
        var go = g.Slice(n, n);
        var gf = g.Slice(2 * n, n);
        var gc = g.Slice(3 * n, n);
        if (!peepholes.IsEmpty)
        {
            TensorPrimitives.MultiplyAdd(peepholes.Slice(0, n), c, gi, gi);
            TensorPrimitives.MultiplyAdd(peepholes.Slice(2 * n, n), c, gf, gf);
        }
        Clip(gi, clip);
        Clip(gf, clip);
        Clip(gc, clip);
        var f = (RecurrentActivation)act[0];
        Activate(f, alpha[0], beta[0], gi);
        if (inputForget)
        {
            // Coupled gates: f = 1 - i.
            TensorPrimitives.Negate(gi, gf);
            TensorPrimitives.Add(gf, 1f, gf);
        }
        else
        {
            Activate(f, alpha[0], beta[0], gf);
        }
        Activate((RecurrentActivation)act[1], alpha[1], beta[1], gc);
        TensorPrimitives.Multiply(gf, c, c);
        TensorPrimitives.MultiplyAdd(gi, gc, c, c);
        if (!peepholes.IsEmpty) TensorPrimitives.MultiplyAdd(peepholes.Slice(n, n), c, go, go);
        Clip(go, clip);
        Activate(f, alpha[0], beta[0], go);
        c.CopyTo(gc);
        Activate((RecurrentActivation)act[2], alpha[2], beta[2], gc);
        TensorPrimitives.Multiply(go, gc, h);
    }

    /// <summary>
    /// One GRU step over the batch. Without linear_before_reset the candidate needs (r .* h) R_h^T, so the z/r product
    /// runs first, then the reset hidden state goes through its own GEMM.
    /// </summary>
    private static void GruStep(RecurrentShape shape, int s, bool reverse, int d, ReadOnlySpan<int> sequenceLengths,
        ReadOnlySpan<float> projected, ReadOnlySpan<float> rd, ReadOnlySpan<float> recurrentBias, Span<float> gateRows,
        Span<float> h, Span<float> resetHidden, Span<float> candidate, Span<float> y,
        ReadOnlySpan<int> act, ReadOnlySpan<float> alpha, ReadOnlySpan<float> beta, float clip, bool linearBeforeReset)
    {
        int batch = shape.Batch, n = shape.Hidden, steps = shape.Steps;
        int gh = 3 * n;
        var f = (RecurrentActivation)act[0];
        var gAct = (RecurrentActivation)act[1];
        if (linearBeforeReset)
        {
            Gemm.Compute(h, rd, default, gateRows, batch, gh, n, false, true, 1f, 0f, 0, 0);
        }
        else
        {
            // z and r pre-activations first ([batch, 2n] at the start of gateRows).
            Gemm.Compute(h, rd.Slice(0, 2 * n * n), default, gateRows, batch, 2 * n, n, false, true, 1f, 0f, 0, 0);
            for (int bi = 0; bi < batch; bi++)
            {
                var reset = resetHidden.Slice(bi * n, n);
                if (!Active(sequenceLengths, steps, bi, s, reverse, out int t))
                {
                    reset.Clear();
                    continue;
                }
                var zr = gateRows.Slice(bi * 2 * n, 2 * n);
                TensorPrimitives.Add(zr, projected.Slice(shape.XRow(t, bi) * gh, 2 * n), zr);
                Clip(zr, clip);
                Activate(f, alpha[0], beta[0], zr);
                TensorPrimitives.Multiply(zr.Slice(n, n), h.Slice(bi * n, n), reset);
            }
            Gemm.Compute(resetHidden, rd.Slice(2 * n * n, n * n), default, candidate, batch, n, n, false, true, 1f, 0f, 0, 0);
        }

        for (int bi = 0; bi < batch; bi++)
        {
            if (!Active(sequenceLengths, steps, bi, s, reverse, out int t)) continue;
            var x = projected.Slice(shape.XRow(t, bi) * gh, gh);
            var hb = h.Slice(bi * n, n);
            Span<float> z, hHat;
            if (linearBeforeReset)
            {
                var g = gateRows.Slice(bi * gh, gh);
                var zr = g.Slice(0, 2 * n);
                TensorPrimitives.Add(zr, x.Slice(0, 2 * n), zr);
                Clip(zr, clip);
                Activate(f, alpha[0], beta[0], zr);
                z = g.Slice(0, n);
                hHat = g.Slice(2 * n, n);
                // h~ = g(x_h + Wbh + r .* (h R_h^T + Rbh))
                TensorPrimitives.Add(hHat, recurrentBias.Slice(2 * n, n), hHat);
                TensorPrimitives.Multiply(hHat, g.Slice(n, n), hHat);
                TensorPrimitives.Add(hHat, x.Slice(2 * n, n), hHat);
            }
            else
            {
                z = gateRows.Slice(bi * 2 * n, n);
                hHat = candidate.Slice(bi * n, n);
                TensorPrimitives.Add(hHat, x.Slice(2 * n, n), hHat);
            }
            Clip(hHat, clip);
            Activate(gAct, alpha[1], beta[1], hHat);
            // H = (1 - z) .* h~ + z .* H = h~ + z .* (H - h~)
            TensorPrimitives.Subtract(hb, hHat, hb);
            TensorPrimitives.MultiplyAdd(z, hb, hHat, hb);
            if (!y.IsEmpty) hb.CopyTo(y.Slice(shape.YOffset(t, d, bi), n));
        }
    }

    private static void Clip(Span<float> v, float clip)
    {
        if (!(clip > 0f)) return;
        TensorPrimitives.Max(v, -clip, v);
        TensorPrimitives.Min(v, clip, v);
    }

    /// <summary>v = activation(v) in place.</summary>
    public static void Activate(RecurrentActivation activation, float alpha, float beta, Span<float> v)
    {
        switch (activation)
        {
            case RecurrentActivation.Sigmoid: TensorPrimitives.Sigmoid(v, v); break;
            case RecurrentActivation.Tanh: TensorPrimitives.Tanh(v, v); break;
            case RecurrentActivation.Relu: TensorPrimitives.Max(v, 0f, v); break;
            case RecurrentActivation.Affine:
                TensorPrimitives.Multiply(v, alpha, v);
                TensorPrimitives.Add(v, beta, v);
                break;
            case RecurrentActivation.LeakyRelu:
                for (int i = 0; i < v.Length; i++) if (v[i] < 0f) v[i] *= alpha;
                break;
            case RecurrentActivation.ThresholdedRelu:
                for (int i = 0; i < v.Length; i++) if (!(v[i] >= alpha)) v[i] = 0f;
                break;
            case RecurrentActivation.ScaledTanh:
                TensorPrimitives.Multiply(v, beta, v);
                TensorPrimitives.Tanh(v, v);
                TensorPrimitives.Multiply(v, alpha, v);
                break;
            case RecurrentActivation.HardSigmoid:
                TensorPrimitives.Multiply(v, alpha, v);
                TensorPrimitives.Add(v, beta, v);
                TensorPrimitives.Max(v, 0f, v);
                TensorPrimitives.Min(v, 1f, v);
                break;
            case RecurrentActivation.Elu:
                for (int i = 0; i < v.Length; i++) if (v[i] < 0f) v[i] = alpha * (MathF.Exp(v[i]) - 1f);
                break;
            case RecurrentActivation.Softsign:
                for (int i = 0; i < v.Length; i++) v[i] /= 1f + MathF.Abs(v[i]);
                break;
            case RecurrentActivation.Softplus:
                for (int i = 0; i < v.Length; i++) v[i] = (float)SpecialFunctions.Softplus(v[i]);
                break;
            default: ThrowHelper.Argument("Unknown RecurrentActivation."); break;
        }
    }
}
