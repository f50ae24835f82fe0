// Element-wise kernels. Binary ops collapse the broadcast shape and walk it with an odometer whose innermost
// run is handed to one vectorized TensorPrimitives call (span op span, span op scalar, scalar op span).
// Unary ops map to TensorPrimitives where it has the function, to Vector<T> loops for piecewise functions,
// and to double-precision scalar code where float formulas would lose accuracy (erf, softplus).
using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EfficientAI.Runtime;

/// <summary>Element-wise operations.</summary>
public static class Elementwise
{
    // Scratch chunk for composite unary ops (1 KB of stack).
    private const int Chunk = 256;

    /// <summary>
    /// y = a op b with broadcasting: y has shape outShape (row-major); aStrides/bStrides give, per output axis,
    /// the element stride into a and b (0 on broadcast axes). y may alias a or b when it has the same shape as that input.
    /// </summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides)
    {
        switch (op)
        {
            case BinaryOp.Add: Broadcast<float, AddOp<float>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Sub: Broadcast<float, SubOp<float>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Mul: Broadcast<float, MulOp<float>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Div: Broadcast<float, DivOp<float>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Pow: Broadcast<float, PowFloatOp>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Max: Broadcast<float, MaxOp<float>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Min: Broadcast<float, MinOp<float>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Mod: Broadcast<float, FmodOp<float>>(a, b, y, outShape, aStrides, bStrides); break;
            default: ThrowHelper.Argument("Unknown BinaryOp."); break;
        }
    }

    /// <summary>Int64 version of <see cref="Binary(BinaryOp, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int})"/>.</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<long> a, ReadOnlySpan<long> b, Span<long> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) =>
        BinaryInteger(op, a, b, y, outShape, aStrides, bStrides);

    /// <summary>Int32 version.</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) =>
        BinaryInteger(op, a, b, y, outShape, aStrides, bStrides);

    /// <summary>Double version (Pow and Mod as for float, in double precision).</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides)
    {
        switch (op)
        {
            case BinaryOp.Add: Broadcast<double, AddOp<double>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Sub: Broadcast<double, SubOp<double>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Mul: Broadcast<double, MulOp<double>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Div: Broadcast<double, DivOp<double>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Pow: Broadcast<double, PowDoubleOp>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Max: Broadcast<double, MaxOp<double>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Min: Broadcast<double, MinOp<double>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Mod: Broadcast<double, FmodOp<double>>(a, b, y, outShape, aStrides, bStrides); break;
            default: ThrowHelper.Argument("Unknown BinaryOp."); break;
        }
    }

    // The narrower and unsigned integer types ONNX defines for arithmetic: same semantics as int32 (wrapping).

    /// <summary>Int16 version.</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<short> a, ReadOnlySpan<short> b, Span<short> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) =>
        BinaryInteger(op, a, b, y, outShape, aStrides, bStrides);

    /// <summary>Int8 version.</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, Span<sbyte> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) =>
        BinaryInteger(op, a, b, y, outShape, aStrides, bStrides);

    /// <summary>UInt8 version.</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) =>
        BinaryInteger(op, a, b, y, outShape, aStrides, bStrides);

    /// <summary>UInt16 version.</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<ushort> a, ReadOnlySpan<ushort> b, Span<ushort> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) =>
        BinaryInteger(op, a, b, y, outShape, aStrides, bStrides);

    /// <summary>UInt32 version.</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<uint> a, ReadOnlySpan<uint> b, Span<uint> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) =>
        BinaryInteger(op, a, b, y, outShape, aStrides, bStrides);

    /// <summary>UInt64 version.</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) =>
        BinaryInteger(op, a, b, y, outShape, aStrides, bStrides);

    private static void BinaryInteger<T>(BinaryOp op, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) where T : unmanaged, IBinaryInteger<T>
    {
        switch (op)
        {
            case BinaryOp.Add: Broadcast<T, AddOp<T>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Sub: Broadcast<T, SubOp<T>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Mul: Broadcast<T, MulOp<T>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Div: Broadcast<T, DivOp<T>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Pow: Broadcast<T, PowIntegerOp<T>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Max: Broadcast<T, MaxOp<T>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Min: Broadcast<T, MinOp<T>>(a, b, y, outShape, aStrides, bStrides); break;
            case BinaryOp.Mod: Broadcast<T, FloorModOp<T>>(a, b, y, outShape, aStrides, bStrides); break;
            default: ThrowHelper.Argument("Unknown BinaryOp."); break;
        }
    }

    /// <summary>
    /// BitShift with broadcasting (as <see cref="Binary(BinaryOp, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int})"/>):
    /// y = a &lt;&lt; b (left) or a &gt;&gt;&gt; b; a shift count at least the bit width gives 0 (C# would mask it).
    /// </summary>
    public static void BitShift<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides, bool left) where T : unmanaged, IBinaryInteger<T>
    {
        if (left) Broadcast<T, ShiftOp<T, LeftShift>>(a, b, y, outShape, aStrides, bStrides);
        else Broadcast<T, ShiftOp<T, RightShift>>(a, b, y, outShape, aStrides, bStrides);
    }

    [SkipLocalsInit]
    private static void Broadcast<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides)
        where T : unmanaged where TOp : struct, IBinaryKernel<T>
    {
        int rank = outShape.Length;
        if (aStrides.Length != rank || bStrides.Length != rank) ThrowHelper.Argument("Stride and shape ranks differ.");
        Shapes.CheckRank(rank);
        Span<int> shape = stackalloc int[Shapes.MaxRank];
        Span<int> sa = stackalloc int[Shapes.MaxRank];
        Span<int> sb = stackalloc int[Shapes.MaxRank];
        int r = Shapes.Collapse(outShape, aStrides, bStrides, shape, sa, sb, out long total);
        if (total == 0) return;
        if (y.Length < total) ThrowHelper.Argument("y is shorter than outShape.");
        if (r == 0)
        {
            y[0] = TOp.Apply(a[0], b[0]);
            return;
        }

        int inner = shape[r - 1], innerA = sa[r - 1], innerB = sb[r - 1];
        long outer = total / inner;
        Span<int> index = stackalloc int[Shapes.MaxRank];
        index.Slice(0, r).Clear();
        int offA = 0, offB = 0;
        for (long o = 0; o < outer; o++)
        {
            Span<T> yRun = y.Slice((int)(o * inner), inner);
            if (innerA == 1 && innerB == 1) TOp.Run(a.Slice(offA, inner), b.Slice(offB, inner), yRun);
            else if (innerA == 0 && innerB == 1) TOp.RunScalarA(a[offA], b.Slice(offB, inner), yRun);
            else if (innerA == 1 && innerB == 0) TOp.RunScalarB(a.Slice(offA, inner), b[offB], yRun);
            else if (innerA == 0 && innerB == 0) yRun.Fill(TOp.Apply(a[offA], b[offB]));
            else
            {
                for (int i = 0; i < inner; i++) yRun[i] = TOp.Apply(a[offA + i * innerA], b[offB + i * innerB]);
            }

            Shapes.StepOuter(r, shape, sa, sb, index, ref offA, ref offB);
        }
    }

    /// <summary>y = op(x) element by element; y may alias x.</summary>
    public static void Unary(UnaryOp op, ReadOnlySpan<float> x, Span<float> y, float alpha, float beta)
    {
        if (y.Length < x.Length) ThrowHelper.Argument("y is shorter than x.");
        y = y.Slice(0, x.Length);
        switch (op)
        {
            case UnaryOp.Relu: TensorPrimitives.Max(x, 0f, y); break;
            case UnaryOp.LeakyRelu: Map<LeakyReluMap>(x, y, alpha, beta); break;
            case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(x, y); break;
            case UnaryOp.Tanh: TensorPrimitives.Tanh(x, y); break;
            case UnaryOp.Clip:
                TensorPrimitives.Max(x, alpha, y);
                TensorPrimitives.Min(y, beta, y);
                break;
            case UnaryOp.HardSigmoid: Map<HardSigmoidMap>(x, y, alpha, beta); break;
            case UnaryOp.HardSwish: Map<HardSwishMap>(x, y, 1f / 6f, 0.5f); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, y); break;
            case UnaryOp.Exp: TensorPrimitives.Exp(x, y); break;
            case UnaryOp.Log: TensorPrimitives.Log(x, y); break;
            case UnaryOp.Neg: TensorPrimitives.Negate(x, y); break;
            case UnaryOp.Abs: TensorPrimitives.Abs(x, y); break;
            case UnaryOp.Reciprocal: TensorPrimitives.Reciprocal(x, y); break;
            case UnaryOp.Floor: TensorPrimitives.Floor(x, y); break;
            case UnaryOp.Ceil: TensorPrimitives.Ceiling(x, y); break;
            case UnaryOp.Round: TensorPrimitives.Round(x, MidpointRounding.ToEven, y); break;
            case UnaryOp.Erf: for (int i = 0; i < x.Length; i++) y[i] = (float)SpecialFunctions.Erf(x[i]); break;
            case UnaryOp.Gelu: for (int i = 0; i < x.Length; i++) y[i] = (float)SpecialFunctions.Gelu(x[i]); break;
            case UnaryOp.GeluTanh: Composite<GeluTanhInnerMap, GeluTanhOuterMap>(x, y, Transcendental.Tanh, alpha, beta); break;
            case UnaryOp.Elu: Composite<IdentityMap, EluMap>(x, y, Transcendental.Exp, alpha, 1f); break;
            case UnaryOp.Selu: Composite<IdentityMap, EluMap>(x, y, Transcendental.Exp, alpha, beta); break;
            case UnaryOp.Softplus: for (int i = 0; i < x.Length; i++) y[i] = (float)SpecialFunctions.Softplus(x[i]); break;
            case UnaryOp.Softsign: Map<SoftsignMap>(x, y, alpha, beta); break;
            case UnaryOp.Sign: Map<SignMap>(x, y, alpha, beta); break;
            case UnaryOp.Sin: TensorPrimitives.Sin(x, y); break;
            case UnaryOp.Cos: TensorPrimitives.Cos(x, y); break;
            case UnaryOp.Swish: Composite<IdentityMap, MultiplyMap>(x, y, Transcendental.Sigmoid, alpha, beta); break;
            case UnaryOp.Mish:
                for (int i = 0; i < x.Length; i++)
                {
                    double v = x[i];
                    y[i] = (float)(v * Math.Tanh(SpecialFunctions.Softplus(v)));
                }
                break;
            case UnaryOp.ThresholdedRelu: Map<ThresholdedReluMap>(x, y, alpha, beta); break;
            case UnaryOp.Shrink: Map<ShrinkMap>(x, y, alpha, beta); break;
            case UnaryOp.Celu: Composite<CeluInnerMap, CeluMap>(x, y, Transcendental.Exp, alpha, beta); break;
            case UnaryOp.Tan: TensorPrimitives.Tan(x, y); break;
            case UnaryOp.Asin: TensorPrimitives.Asin(x, y); break;
            case UnaryOp.Acos: TensorPrimitives.Acos(x, y); break;
            case UnaryOp.Atan: TensorPrimitives.Atan(x, y); break;
            case UnaryOp.Sinh: TensorPrimitives.Sinh(x, y); break;
            case UnaryOp.Cosh: TensorPrimitives.Cosh(x, y); break;
            case UnaryOp.Asinh: TensorPrimitives.Asinh(x, y); break;
            case UnaryOp.Acosh: TensorPrimitives.Acosh(x, y); break;
            case UnaryOp.Atanh: TensorPrimitives.Atanh(x, y); break;
            default: ThrowHelper.Argument("Unknown UnaryOp."); break;
        }
    }

    /// <summary>y[i] = x[i] * scale[ch] + bias[ch] with ch = (i / spatial) % channels (BatchNormalization folded at compile time).</summary>
    public static void ChannelAffine(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, Span<float> y,
        int batch, int channels, int spatial)
    {
        int plane = channels * spatial;
        if (x.Length < batch * plane || y.Length < batch * plane || scale.Length < channels || (!bias.IsEmpty && bias.Length < channels))
        {
            ThrowHelper.Argument("A span is shorter than its shape.");
        }
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> xb = x.Slice(n * plane, plane);
            Span<float> yb = y.Slice(n * plane, plane);
            if (spatial == 1)
            {
                // [N, C] layout: the channel axis is the contiguous one.
                if (bias.IsEmpty) TensorPrimitives.Multiply(xb, scale.Slice(0, channels), yb);
                else TensorPrimitives.MultiplyAdd(xb, scale.Slice(0, channels), bias.Slice(0, channels), yb);
                continue;
            }
            for (int ch = 0; ch < channels; ch++)
            {
                Map<AffineMap>(xb.Slice(ch * spatial, spatial), yb.Slice(ch * spatial, spatial), scale[ch], bias.IsEmpty ? 0f : bias[ch]);
            }
        }
    }

    // ---- unary machinery -------------------------------------------------------------------------------

    private enum Transcendental { Exp, Sigmoid, Tanh }

    /// <summary>y = TMap(x) with Vector&lt;float&gt; for the body and the scalar form for the tail.</summary>
    private static void Map<TMap>(ReadOnlySpan<float> x, Span<float> y, float alpha, float beta) where TMap : struct, IUnaryMap
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var va = new Vector<float>(alpha);
            var vb = new Vector<float>(beta);
            ReadOnlySpan<Vector<float>> xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            Span<Vector<float>> yv = MemoryMarshal.Cast<float, Vector<float>>(y);
            for (int v = 0; v < xv.Length; v++) yv[v] = TMap.Apply(xv[v], va, vb);
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) y[i] = TMap.Apply(x[i], alpha, beta);
    }

    /// <summary>
    /// Composite op in chunks: t = TInner(x), t = transcendental(t) (vectorized by TensorPrimitives), y = TOuter(x, t).
    /// Reads x[i] before writing y[i], so y may alias x.
    /// </summary>
    [SkipLocalsInit]
    private static void Composite<TInner, TOuter>(ReadOnlySpan<float> x, Span<float> y, Transcendental fn, float alpha, float beta)
        where TInner : struct, IUnaryMap where TOuter : struct, IPairMap
    {
        Span<float> scratch = stackalloc float[Chunk];
        for (int start = 0; start < x.Length; start += Chunk)
        {
            int len = Math.Min(Chunk, x.Length - start);
            ReadOnlySpan<float> xs = x.Slice(start, len);
            Span<float> t = scratch.Slice(0, len);
            if (typeof(TInner) == typeof(IdentityMap)) xs.CopyTo(t);
            else Map<TInner>(xs, t, alpha, beta);
            switch (fn)
            {
                case Transcendental.Exp: TensorPrimitives.Exp(t, t); break;
                case Transcendental.Sigmoid: TensorPrimitives.Sigmoid(t, t); break;
                default: TensorPrimitives.Tanh(t, t); break;
            }
            Span<float> ys = y.Slice(start, len);
            int i = 0;
            if (Vector.IsHardwareAccelerated && len >= Vector<float>.Count)
            {
                var va = new Vector<float>(alpha);
                var vb = new Vector<float>(beta);
                ReadOnlySpan<Vector<float>> xv = MemoryMarshal.Cast<float, Vector<float>>(xs);
                ReadOnlySpan<Vector<float>> tv = MemoryMarshal.Cast<float, Vector<float>>(t);
                Span<Vector<float>> yv = MemoryMarshal.Cast<float, Vector<float>>(ys);
                for (int v = 0; v < xv.Length; v++) yv[v] = TOuter.Apply(xv[v], tv[v], va, vb);
                i = xv.Length * Vector<float>.Count;
            }
            for (; i < len; i++) ys[i] = TOuter.Apply(xs[i], t[i], alpha, beta);
        }
    }

    private interface IUnaryMap
    {
        static abstract Vector<float> Apply(Vector<float> x, Vector<float> alpha, Vector<float> beta);
        static abstract float Apply(float x, float alpha, float beta);
    }

    private interface IPairMap
    {
        static abstract Vector<float> Apply(Vector<float> x, Vector<float> t, Vector<float> alpha, Vector<float> beta);
        static abstract float Apply(float x, float t, float alpha, float beta);
    }

    private struct IdentityMap : IUnaryMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> alpha, Vector<float> beta) => x;
        public static float Apply(float x, float alpha, float beta) => x;
    }

    private struct AffineMap : IUnaryMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> alpha, Vector<float> beta) => x * alpha + beta;
        public static float Apply(float x, float alpha, float beta) => x * alpha + beta;
    }

    private struct LeakyReluMap : IUnaryMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> alpha, Vector<float> beta) =>
            Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), x * alpha, x);
        public static float Apply(float x, float alpha, float beta) => x < 0f ? alpha * x : x;
    }

    private struct HardSigmoidMap : IUnaryMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> alpha, Vector<float> beta) =>
            Vector.Max(Vector<float>.Zero, Vector.Min(Vector<float>.One, x * alpha + beta));
        public static float Apply(float x, float alpha, float beta) => Math.Max(0f, Math.Min(1f, alpha * x + beta));
    }

    private struct HardSwishMap : IUnaryMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> alpha, Vector<float> beta) =>
            x * HardSigmoidMap.Apply(x, alpha, beta);
        public static float Apply(float x, float alpha, float beta) => x * HardSigmoidMap.Apply(x, alpha, beta);
    }

    private struct SoftsignMap : IUnaryMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> alpha, Vector<float> beta) =>
            x / (Vector<float>.One + Vector.Abs(x));
        public static float Apply(float x, float alpha, float beta) => x / (1f + Math.Abs(x));
    }

    private struct SignMap : IUnaryMap
    {
        // Zero and NaN pass through unchanged.
        public static Vector<float> Apply(Vector<float> x, Vector<float> alpha, Vector<float> beta) =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), Vector<float>.One,
                Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), -Vector<float>.One, x));
        public static float Apply(float x, float alpha, float beta) => x > 0f ? 1f : x < 0f ? -1f : x;
    }

    private struct ThresholdedReluMap : IUnaryMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> alpha, Vector<float> beta) =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, alpha), x, Vector<float>.Zero);
        public static float Apply(float x, float alpha, float beta) => x > alpha ? x : 0f;
    }

    private struct ShrinkMap : IUnaryMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> alpha, Vector<float> beta) =>
            Vector.ConditionalSelect(Vector.LessThan(x, -alpha), x + beta,
                Vector.ConditionalSelect(Vector.GreaterThan(x, alpha), x - beta, Vector<float>.Zero));
        public static float Apply(float x, float alpha, float beta) => x < -alpha ? x + beta : x > alpha ? x - beta : 0f;
    }

    private struct GeluTanhInnerMap : IUnaryMap
    {
        private const float Scale = 0.7978845608028654f; // sqrt(2 / pi)
        public static Vector<float> Apply(Vector<float> x, Vector<float> alpha, Vector<float> beta) =>
            x * new Vector<float>(Scale) * (Vector<float>.One + new Vector<float>(0.044715f) * x * x);
        public static float Apply(float x, float alpha, float beta) => x * Scale * (1f + 0.044715f * x * x);
    }

    private struct GeluTanhOuterMap : IPairMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> t, Vector<float> alpha, Vector<float> beta) =>
            new Vector<float>(0.5f) * x * (Vector<float>.One + t);
        public static float Apply(float x, float t, float alpha, float beta) => 0.5f * x * (1f + t);
    }

    /// <summary>beta * (x &gt; 0 ? x : alpha * (exp(x) - 1)); Elu passes beta = 1.</summary>
    private struct EluMap : IPairMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> t, Vector<float> alpha, Vector<float> beta) =>
            beta * Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), x, alpha * (t - Vector<float>.One));
        public static float Apply(float x, float t, float alpha, float beta) => beta * (x > 0f ? x : alpha * (t - 1f));
    }

    private struct CeluInnerMap : IUnaryMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> alpha, Vector<float> beta) => x / alpha;
        public static float Apply(float x, float alpha, float beta) => x / alpha;
    }

    private struct CeluMap : IPairMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> t, Vector<float> alpha, Vector<float> beta) =>
            Vector.Max(Vector<float>.Zero, x) + Vector.Min(Vector<float>.Zero, alpha * (t - Vector<float>.One));
        public static float Apply(float x, float t, float alpha, float beta) => Math.Max(0f, x) + Math.Min(0f, alpha * (t - 1f));
    }

    private struct MultiplyMap : IPairMap
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> t, Vector<float> alpha, Vector<float> beta) => x * t;
        public static float Apply(float x, float t, float alpha, float beta) => x * t;
    }

    // ---- binary operators ------------------------------------------------------------------------------

    private interface IBinaryKernel<T>
    {
        static abstract T Apply(T a, T b);
        static abstract void Run(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y);
        static abstract void RunScalarA(T a, ReadOnlySpan<T> b, Span<T> y);
        static abstract void RunScalarB(ReadOnlySpan<T> a, T b, Span<T> y);
    }

    private struct AddOp<T> : IBinaryKernel<T> where T : INumber<T>
    {
        public static T Apply(T a, T b) => a + b;
        public static void Run(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Add(a, b, y);
        public static void RunScalarA(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Add(b, a, y);
        public static void RunScalarB(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Add(a, b, y);
    }

    private struct SubOp<T> : IBinaryKernel<T> where T : INumber<T>
    {
        public static T Apply(T a, T b) => a - b;
        public static void Run(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
        public static void RunScalarA(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
        public static void RunScalarB(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
    }

    private struct MulOp<T> : IBinaryKernel<T> where T : INumber<T>
    {
        public static T Apply(T a, T b) => a * b;
        public static void Run(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Multiply(a, b, y);
        public static void RunScalarA(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Multiply(b, a, y);
        public static void RunScalarB(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Multiply(a, b, y);
    }

    /// <summary>Division; integers truncate toward zero like C#.</summary>
    private struct DivOp<T> : IBinaryKernel<T> where T : INumber<T>
    {
        public static T Apply(T a, T b) => a / b;
        public static void Run(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
        public static void RunScalarA(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
        public static void RunScalarB(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
    }

    private struct MaxOp<T> : IBinaryKernel<T> where T : INumber<T>
    {
        public static T Apply(T a, T b) => T.Max(a, b);
        public static void Run(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Max(a, b, y);
        public static void RunScalarA(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Max(b, a, y);
        public static void RunScalarB(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Max(a, b, y);
    }

    private struct MinOp<T> : IBinaryKernel<T> where T : INumber<T>
    {
        public static T Apply(T a, T b) => T.Min(a, b);
        public static void Run(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Min(a, b, y);
        public static void RunScalarA(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Min(b, a, y);
        public static void RunScalarB(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Min(a, b, y);
    }

    private struct PowFloatOp : IBinaryKernel<float>
    {
        public static float Apply(float a, float b) => MathF.Pow(a, b);
        public static void Run(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Pow(a, b, y);
        public static void RunScalarA(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Pow(a, b, y);
        public static void RunScalarB(ReadOnlySpan<float> a, float b, Span<float> y)
        {
            // Common exponents avoid the scalar pow entirely.
            if (b == 2f) TensorPrimitives.Multiply(a, a, y);
            else if (b == 1f) a.CopyTo(y);
            else if (b == 0.5f) TensorPrimitives.Sqrt(a, y);
            else TensorPrimitives.Pow(a, b, y);
        }
    }

    private struct PowDoubleOp : IBinaryKernel<double>
    {
        public static double Apply(double a, double b) => Math.Pow(a, b);
        public static void Run(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Pow(a, b, y);
        public static void RunScalarA(double a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Pow(a, b, y);
        public static void RunScalarB(ReadOnlySpan<double> a, double b, Span<double> y) => TensorPrimitives.Pow(a, b, y);
    }

    /// <summary>C fmod: the result has the sign of the dividend (C# % on floating point).</summary>
    private struct FmodOp<T> : IBinaryKernel<T> where T : IFloatingPoint<T>
    {
        public static T Apply(T a, T b) => a % b;
        public static void Run(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = a[i] % b[i];
        }
        public static void RunScalarA(T a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = a % b[i];
        }
        public static void RunScalarB(ReadOnlySpan<T> a, T b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = a[i] % b;
        }
    }

    /// <summary>Integer power by squaring; negative exponents give the truncated result (0 unless |a| == 1).</summary>
    private struct PowIntegerOp<T> : IBinaryKernel<T> where T : IBinaryInteger<T>
    {
        public static T Apply(T a, T b)
        {
            if (T.IsNegative(b))
            {
                if (a == T.One) return T.One;
                if (a == -T.One) return T.IsEvenInteger(b) ? T.One : -T.One;
                return T.Zero;
            }
            T result = T.One;
            T bas = a;
            while (b != T.Zero)
            {
                if (T.IsOddInteger(b)) result *= bas;
                b >>= 1;
                if (b != T.Zero) bas *= bas;
            }
            return result;
        }
        public static void Run(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a[i], b[i]);
        }
        public static void RunScalarA(T a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a, b[i]);
        }
        public static void RunScalarB(ReadOnlySpan<T> a, T b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a[i], b);
        }
    }

    /// <summary>Python-style integer remainder: the result has the sign of the divisor.</summary>
    private struct LeftShift { }
    private struct RightShift { }

    /// <summary>Bit shifts by b positions; C# masks the count, ONNX does not, so a count past the width gives 0.</summary>
    private struct ShiftOp<T, TDirection> : IBinaryKernel<T> where T : unmanaged, IBinaryInteger<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Apply(T a, T b)
        {
            if (T.IsNegative(b) || b >= T.CreateTruncating(Unsafe.SizeOf<T>() * 8)) return T.Zero;
            int count = int.CreateTruncating(b);
            return typeof(TDirection) == typeof(LeftShift) ? a << count : a >>> count;
        }
        public static void Run(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a[i], b[i]);
        }
        public static void RunScalarA(T a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a, b[i]);
        }
        public static void RunScalarB(ReadOnlySpan<T> a, T b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a[i], b);
        }
    }

    private struct FloorModOp<T> : IBinaryKernel<T> where T : IBinaryInteger<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Apply(T a, T b)
        {
            T r = a % b;
            return r != T.Zero && (T.IsNegative(r) != T.IsNegative(b)) ? r + b : r;
        }
        public static void Run(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a[i], b[i]);
        }
        public static void RunScalarA(T a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a, b[i]);
        }
        public static void RunScalarB(ReadOnlySpan<T> a, T b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a[i], b);
        }
    }
}
