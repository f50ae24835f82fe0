using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace EfficientAI.Runtime.Tests;

public class ElementwiseTests
{
    private static readonly int[] Lengths = { 1, 3, 7, 17, 33, 65, 300, 1000 };

    /// <summary>(aShape, bShape) pairs right-aligned as in numpy: same shape, scalars, row vector, per-channel, general.</summary>
    private static readonly (int[] A, int[] B)[] Broadcasts =
    {
        (new[] { 2, 3, 17 }, new[] { 2, 3, 17 }),
        (new[] { 65 }, new[] { 65 }),
        (Array.Empty<int>(), new[] { 3, 7 }),
        (new[] { 5, 33 }, Array.Empty<int>()),
        (new[] { 5, 17 }, new[] { 17 }),
        (new[] { 2, 4, 3, 5 }, new[] { 1, 4, 1, 1 }),
        (new[] { 1, 4, 1, 1 }, new[] { 2, 4, 3, 5 }),
        (new[] { 3, 1, 5 }, new[] { 1, 4, 1 }),
        (new[] { 4, 1 }, new[] { 1, 7 }),
        (new[] { 2, 3, 1, 7 }, new[] { 3, 5, 1 }),
        (new[] { 1, 1 }, new[] { 1 }),
    };

    private static (int[] Out, int[] AStrides, int[] BStrides) BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var outShape = new int[rank];
        var sa = new int[rank];
        var sb = new int[rank];
        int[] stA = TestUtil.Strides(a), stB = TestUtil.Strides(b);
        for (int d = 0; d < rank; d++)
        {
            int da = d - (rank - a.Length), db = d - (rank - b.Length);
            int ea = da >= 0 ? a[da] : 1, eb = db >= 0 ? b[db] : 1;
            outShape[d] = Math.Max(ea, eb);
            sa[d] = ea == 1 ? 0 : stA[da];
            sb[d] = eb == 1 ? 0 : stB[db];
        }
        return (outShape, sa, sb);
    }

    private static int Offset(int[] index, int[] strides)
    {
        int o = 0;
        for (int d = 0; d < index.Length; d++) o += index[d] * strides[d];
        return o;
    }

    public static IEnumerable<object[]> BinaryOps()
    {
        foreach (BinaryOp op in Enum.GetValues<BinaryOp>()) yield return new object[] { op };
    }

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void BinaryFloatMatchesReference(BinaryOp op)
    {
        var rng = new Random((int)op + 10);
        foreach (var (aShape, bShape) in Broadcasts)
        {
            var (outShape, sa, sb) = BroadcastShape(aShape, bShape);
            float[] a = op == BinaryOp.Pow ? TestUtil.RandomArray(rng, TestUtil.Product(aShape), 0.5f, 2f) : TestUtil.RandomArray(rng, TestUtil.Product(aShape), -3f, 3f);
            float[] b = TestUtil.RandomArray(rng, TestUtil.Product(bShape), op == BinaryOp.Pow ? -2f : -3f, op == BinaryOp.Pow ? 2f : 3f);
            int total = TestUtil.Product(outShape);
            var expected = new double[total];
            for (int i = 0; i < total; i++)
            {
                int[] idx = TestUtil.Unravel(i, outShape);
                expected[i] = FloatReference(op, a[Offset(idx, sa)], b[Offset(idx, sb)]);
            }
            var y = new float[total];
            Elementwise.Binary(op, a, b, y, outShape, sa, sb);
            string ctx = $"{op} [{string.Join(",", aShape)}] x [{string.Join(",", bShape)}]";
            TestUtil.AssertClose(expected, y, op == BinaryOp.Pow ? 2e-6 : 1e-6, 1e-7, ctx);

            // In place: y aliases whichever input has the output's shape.
            if (TestUtil.Product(aShape) == total && aShape.Length == outShape.Length)
            {
                var inPlace = (float[])a.Clone();
                Elementwise.Binary(op, inPlace, b, inPlace, outShape, sa, sb);
                TestUtil.AssertClose(expected, inPlace, op == BinaryOp.Pow ? 2e-6 : 1e-6, 1e-7, ctx + " (y aliases a)");
            }
            if (TestUtil.Product(bShape) == total && bShape.Length == outShape.Length)
            {
                var inPlace = (float[])b.Clone();
                Elementwise.Binary(op, a, inPlace, inPlace, outShape, sa, sb);
                TestUtil.AssertClose(expected, inPlace, op == BinaryOp.Pow ? 2e-6 : 1e-6, 1e-7, ctx + " (y aliases b)");
            }
        }
    }

    private static double FloatReference(BinaryOp op, float a, float b) => op switch
    {
        BinaryOp.Add => (double)a + b,
        BinaryOp.Sub => (double)a - b,
        BinaryOp.Mul => (double)a * b,
        BinaryOp.Div => (double)a / b,
        BinaryOp.Pow => Math.Pow(a, b),
        BinaryOp.Max => Math.Max(a, b),
        BinaryOp.Min => Math.Min(a, b),
        BinaryOp.Mod => (double)a % b, // C fmod: sign of the dividend
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void BinaryIntegerMatchesReference(BinaryOp op)
    {
        var rng = new Random((int)op + 50);
        foreach (var (aShape, bShape) in Broadcasts)
        {
            var (outShape, sa, sb) = BroadcastShape(aShape, bShape);
            int na = TestUtil.Product(aShape), nb = TestUtil.Product(bShape), total = TestUtil.Product(outShape);
            var a32 = new int[na];
            var b32 = new int[nb];
            for (int i = 0; i < na; i++) a32[i] = op == BinaryOp.Pow ? rng.Next(-5, 6) : rng.Next(-1000, 1001);
            for (int i = 0; i < nb; i++)
            {
                int v;
                do v = op == BinaryOp.Pow ? rng.Next(-2, 9) : rng.Next(-40, 41); while (v == 0 && op is BinaryOp.Div or BinaryOp.Mod);
                b32[i] = v;
            }
            long[] a64 = Array.ConvertAll(a32, v => (long)v), b64 = Array.ConvertAll(b32, v => (long)v);
            var expected = new long[total];
            for (int i = 0; i < total; i++)
            {
                int[] idx = TestUtil.Unravel(i, outShape);
                expected[i] = IntegerReference(op, a32[Offset(idx, sa)], b32[Offset(idx, sb)]);
            }
            var y32 = new int[total];
            var y64 = new long[total];
            Elementwise.Binary(op, a32, b32, y32, outShape, sa, sb);
            Elementwise.Binary(op, a64, b64, y64, outShape, sa, sb);
            for (int i = 0; i < total; i++)
            {
                Assert.True(expected[i] == y32[i], $"int32 {op} [{i}] {expected[i]} != {y32[i]}");
                Assert.True(expected[i] == y64[i], $"int64 {op} [{i}] {expected[i]} != {y64[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void BinaryOtherTypesMatchReference(BinaryOp op)
    {
        var rng = new Random((int)op + 90);
        foreach (var (aShape, bShape) in Broadcasts)
        {
            var (outShape, sa, sb) = BroadcastShape(aShape, bShape);
            int na = TestUtil.Product(aShape), nb = TestUtil.Product(bShape), total = TestUtil.Product(outShape);
            // Small non-negative values fit every type; the results wrap like the type does.
            var a = new long[na];
            var b = new long[nb];
            for (int i = 0; i < na; i++) a[i] = op == BinaryOp.Pow ? rng.Next(0, 6) : rng.Next(0, 120);
            for (int i = 0; i < nb; i++) b[i] = op == BinaryOp.Pow ? rng.Next(0, 8) : rng.Next(1, 40);
            var expected = new long[total];
            for (int i = 0; i < total; i++)
            {
                int[] idx = TestUtil.Unravel(i, outShape);
                expected[i] = IntegerReference(op, a[Offset(idx, sa)], b[Offset(idx, sb)]);
            }
            string ctx = $"{op} [{string.Join(",", aShape)}] x [{string.Join(",", bShape)}]";
            Check<byte>(v => unchecked((byte)v), (x, y, z) => Elementwise.Binary(op, x, y, z, outShape, sa, sb));
            Check<sbyte>(v => unchecked((sbyte)v), (x, y, z) => Elementwise.Binary(op, x, y, z, outShape, sa, sb));
            Check<short>(v => unchecked((short)v), (x, y, z) => Elementwise.Binary(op, x, y, z, outShape, sa, sb));
            Check<ushort>(v => unchecked((ushort)v), (x, y, z) => Elementwise.Binary(op, x, y, z, outShape, sa, sb));
            Check<uint>(v => unchecked((uint)v), (x, y, z) => Elementwise.Binary(op, x, y, z, outShape, sa, sb));
            Check<ulong>(v => unchecked((ulong)v), (x, y, z) => Elementwise.Binary(op, x, y, z, outShape, sa, sb));

            var ad = TestUtil.RandomArray(rng, na, op == BinaryOp.Pow ? 0.5f : -3f, 3f).Select(v => (double)v).ToArray();
            var bd = TestUtil.RandomArray(rng, nb, -3f, 3f).Select(v => (double)v).ToArray();
            var yd = new double[total];
            Elementwise.Binary(op, ad, bd, yd, outShape, sa, sb);
            for (int i = 0; i < total; i++)
            {
                int[] idx = TestUtil.Unravel(i, outShape);
                double x = ad[Offset(idx, sa)], y = bd[Offset(idx, sb)];
                double e = op switch
                {
                    BinaryOp.Add => x + y, BinaryOp.Sub => x - y, BinaryOp.Mul => x * y, BinaryOp.Div => x / y, BinaryOp.Pow => Math.Pow(x, y),
                    BinaryOp.Max => Math.Max(x, y), BinaryOp.Min => Math.Min(x, y), BinaryOp.Mod => x % y, // C fmod, as for float
                    _ => throw new ArgumentOutOfRangeException(nameof(op)),
                };
                Assert.True(Math.Abs(e - yd[i]) <= 1e-12 * Math.Max(1, Math.Abs(e)), $"double {ctx} [{i}] {e} != {yd[i]}");
            }

            void Check<T>(Func<long, T> convert, Action<T[], T[], T[]> run) where T : struct
            {
                var y = new T[total];
                run(a.Select(convert).ToArray(), b.Select(convert).ToArray(), y);
                for (int i = 0; i < total; i++)
                    Assert.True(convert(expected[i]).Equals(y[i]), $"{typeof(T).Name} {ctx} [{i}] {convert(expected[i])} != {y[i]}");
            }
        }
    }

    private static long IntegerReference(BinaryOp op, long a, long b)
    {
        switch (op)
        {
            case BinaryOp.Add: return a + b;
            case BinaryOp.Sub: return a - b;
            case BinaryOp.Mul: return a * b;
            case BinaryOp.Div: return (long)Math.Truncate((double)a / b);
            case BinaryOp.Pow:
                // Negative exponents: the truncated value, 0 unless |a| == 1 (0 ^ negative is defined as 0 too).
                if (b < 0) return a == 1 ? 1 : a == -1 ? (b % 2 == 0 ? 1 : -1) : 0;
                return (long)Math.Pow(a, b);
            case BinaryOp.Max: return Math.Max(a, b);
            case BinaryOp.Min: return Math.Min(a, b);
            case BinaryOp.Mod: return (long)(a - b * Math.Floor((double)a / b));
            default: throw new ArgumentOutOfRangeException(nameof(op));
        }
    }

    public static IEnumerable<object[]> UnaryOps()
    {
        foreach (UnaryOp op in Enum.GetValues<UnaryOp>()) yield return new object[] { op };
    }

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void UnaryMatchesReference(UnaryOp op)
    {
        var rng = new Random((int)op + 200);
        (float alpha, float beta) = op switch
        {
            UnaryOp.LeakyRelu => (0.1f, 0f),
            UnaryOp.Clip => (-0.5f, 1.25f),
            UnaryOp.HardSigmoid => (0.2f, 0.5f),
            UnaryOp.Elu => (0.7f, 0f),
            UnaryOp.Selu => (1.6732632f, 1.050701f),
            UnaryOp.ThresholdedRelu => (0.4f, 0f),
            UnaryOp.Shrink => (0.5f, 0.25f),
            UnaryOp.Celu => (1.3f, 0f),
            _ => (0f, 0f),
        };
        foreach (int length in Lengths)
        {
            float[] x = TestUtil.RandomArray(rng, length, -4f, 4f);
            if (op is UnaryOp.Sqrt or UnaryOp.Log) for (int i = 0; i < length; i++) x[i] = MathF.Abs(x[i]) + 0.01f;
            // Inverse trig and atanh take (-1, 1); acosh takes [1, inf).
            if (op is UnaryOp.Asin or UnaryOp.Acos or UnaryOp.Atanh) for (int i = 0; i < length; i++) x[i] *= 0.24f;
            if (op == UnaryOp.Acosh) for (int i = 0; i < length; i++) x[i] = MathF.Abs(x[i]) + 1.01f;
            if (op == UnaryOp.Round) for (int i = 0; i < length; i++) if (i % 3 == 0) x[i] = MathF.Round(x[i] * 2f) / 2f + 0.5f; // exact halves
            if (op == UnaryOp.Sign && length > 2) x[1] = 0f;
            var expected = new double[length];
            for (int i = 0; i < length; i++) expected[i] = UnaryReference(op, x[i], alpha, beta);
            var y = new float[length];
            Elementwise.Unary(op, x, y, alpha, beta);
            // Mixed tolerance: relative for the bulk, absolute for results that cancel to near zero (e.g. exp(x) - 1).
            TestUtil.AssertClose(expected, y, 1e-5, 1e-6, $"{op} length {length}");
            Elementwise.Unary(op, x, x, alpha, beta);
            TestUtil.AssertClose(expected, x, 1e-5, 1e-6, $"{op} in place length {length}");
        }
    }

    private static double UnaryReference(UnaryOp op, double x, double alpha, double beta)
    {
        double Softplus(double v) => Math.Max(v, 0) + Math.Log(1 + Math.Exp(-Math.Abs(v)));
        return op switch
        {
            UnaryOp.Relu => Math.Max(x, 0),
            UnaryOp.LeakyRelu => x < 0 ? alpha * x : x,
            UnaryOp.Sigmoid => 1 / (1 + Math.Exp(-x)),
            UnaryOp.Tanh => Math.Tanh(x),
            UnaryOp.Clip => Math.Min(Math.Max(x, alpha), beta),
            UnaryOp.HardSigmoid => Math.Max(0, Math.Min(1, alpha * x + beta)),
            UnaryOp.HardSwish => x * Math.Max(0, Math.Min(1, x / 6 + 0.5)),
            UnaryOp.Sqrt => Math.Sqrt(x),
            UnaryOp.Exp => Math.Exp(x),
            UnaryOp.Log => Math.Log(x),
            UnaryOp.Neg => -x,
            UnaryOp.Abs => Math.Abs(x),
            UnaryOp.Reciprocal => 1 / x,
            UnaryOp.Floor => Math.Floor(x),
            UnaryOp.Ceil => Math.Ceiling(x),
            UnaryOp.Round => Math.Round(x, MidpointRounding.ToEven),
            UnaryOp.Erf => TestUtil.Erf(x),
            UnaryOp.Gelu => 0.5 * x * (1 + TestUtil.Erf(x / Math.Sqrt(2))),
            UnaryOp.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
            UnaryOp.Elu => x > 0 ? x : alpha * (Math.Exp(x) - 1),
            UnaryOp.Selu => beta * (x > 0 ? x : alpha * (Math.Exp(x) - 1)),
            UnaryOp.Softplus => Softplus(x),
            UnaryOp.Softsign => x / (1 + Math.Abs(x)),
            UnaryOp.Sign => Math.Sign(x),
            UnaryOp.Sin => Math.Sin(x),
            UnaryOp.Cos => Math.Cos(x),
            UnaryOp.Swish => x / (1 + Math.Exp(-x)),
            UnaryOp.Mish => x * Math.Tanh(Softplus(x)),
            UnaryOp.ThresholdedRelu => x > alpha ? x : 0,
            UnaryOp.Shrink => x < -alpha ? x + beta : x > alpha ? x - beta : 0,
            UnaryOp.Celu => Math.Max(0, x) + Math.Min(0, alpha * (Math.Exp(x / alpha) - 1)),
            UnaryOp.Tan => Math.Tan(x),
            UnaryOp.Asin => Math.Asin(x),
            UnaryOp.Acos => Math.Acos(x),
            UnaryOp.Atan => Math.Atan(x),
            UnaryOp.Sinh => Math.Sinh(x),
            UnaryOp.Cosh => Math.Cosh(x),
            UnaryOp.Asinh => Math.Asinh(x),
            UnaryOp.Acosh => Math.Acosh(x),
            UnaryOp.Atanh => Math.Atanh(x),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
    }

    [Fact]
    public void ErfAndGeluAreAccurateInTheTails()
    {
        float[] x = { -6f, -4.5f, -3f, -1e-3f, 1e-4f, 0.3f, 0.49f, 0.51f, 2.5f, 5f };
        var erf = new float[x.Length];
        var gelu = new float[x.Length];
        Elementwise.Unary(UnaryOp.Erf, x, erf, 0, 0);
        Elementwise.Unary(UnaryOp.Gelu, x, gelu, 0, 0);
        var eErf = Array.ConvertAll(x, v => TestUtil.Erf(v));
        // Gelu(x) for x << 0 via erfc of the positive argument, computed from the series' complement-free form.
        var eGelu = Array.ConvertAll(x, v => v < -3 ? 0.5 * v * ErfcTail(-v / Math.Sqrt(2)) : 0.5 * v * (1 + TestUtil.Erf(v / Math.Sqrt(2))));
        TestUtil.AssertClose(eErf, erf, 1e-6, 1e-9, "erf");
        TestUtil.AssertClose(eGelu, gelu, 1e-5, 1e-30, "gelu");
    }

    // erfc(z) for large z by its continued fraction, independent of the kernel's approximation.
    private static double ErfcTail(double z)
    {
        double f = 0;
        for (int n = 60; n >= 1; n--) f = n / 2.0 / (z + f);
        return Math.Exp(-z * z) / Math.Sqrt(Math.PI) / (z + f);
    }

    [Fact]
    public void ChannelAffineMatchesReference()
    {
        var rng = new Random(9);
        foreach (var (batch, channels, spatial) in new[] { (1, 3, 1), (2, 17, 1), (2, 5, 7), (1, 4, 65), (3, 2, 33) })
        {
            foreach (bool withBias in new[] { true, false })
            {
                float[] x = TestUtil.RandomArray(rng, batch * channels * spatial);
                float[] scale = TestUtil.RandomArray(rng, channels);
                float[] bias = withBias ? TestUtil.RandomArray(rng, channels) : Array.Empty<float>();
                var y = new float[x.Length];
                Elementwise.ChannelAffine(x, scale, bias, y, batch, channels, spatial);
                var expected = new double[x.Length];
                var mag = new double[x.Length];
                for (int i = 0; i < x.Length; i++)
                {
                    int ch = i / spatial % channels;
                    double bv = withBias ? bias[ch] : 0;
                    expected[i] = (double)x[i] * scale[ch] + bv;
                    mag[i] = Math.Abs((double)x[i] * scale[ch]) + Math.Abs(bv);
                }
                TestUtil.AssertClose(expected, y, 1e-6, 1e-7, $"affine {batch}x{channels}x{spatial} bias={withBias}", mag);
            }
        }
    }
}
