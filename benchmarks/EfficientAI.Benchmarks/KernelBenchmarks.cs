using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using EfficientAI.Runtime;

namespace EfficientAI.Benchmarks;

/// <summary>fp32 GEMM y[m,n] = a[m,k] * b[k,n] at several shapes: the run-time operand form (Gemm.Compute) and, where the
/// generator knows b, the compile-time packed form (Gemm.ComputePacked, b packed once in the setup as the generator does).</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _a = null!, _b = null!, _packed = null!, _y = null!;
    private int _m, _n, _k;

    /// <summary>m x n x k: square sizes, a batch-1 GEMV (the MLP's first layer) and a Conv-as-GEMM shape (64 filters, 3x3x64, 56x56).</summary>
    [Params("64x64x64", "128x128x128", "256x256x256", "512x512x512", "1x128x784", "64x3136x576")]
    public string Shape { get; set; } = "";

    public static (int M, int N, int K) Parse(string shape)
    {
        var p = shape.Split('x');
        return (int.Parse(p[0]), int.Parse(p[1]), int.Parse(p[2]));
    }

    [GlobalSetup]
    public void Setup()
    {
        (_m, _n, _k) = Parse(Shape);
        _a = ModelCases.Uniform(_m * _k, 1, -1f, 1f);
        _b = ModelCases.Uniform(_k * _n, 2, -1f, 1f);
        _y = new float[_m * _n];
        _packed = new float[Gemm.PackedLength(_k, _n)];
        Gemm.PackB(_b, _packed, _k, _n, transB: false);
    }

    [Benchmark(Baseline = true, Description = "Gemm.Compute")]
    public void Compute() => Gemm.Compute(_a, _b, default, _y, _m, _n, _k, false, false, 1f, 0f, 0, 0);

    [Benchmark(Description = "Gemm.ComputePacked")]
    public void Packed() => Gemm.ComputePacked(_a, _packed, default, _y, _m, _n, _k, Activation.None);
}

/// <summary>
/// The core's single-thread fp32 FMA peak: independent FMA chains on registers only (no memory traffic), enough of
/// them to cover the FMA latency on every port. GFLOP/s = 2 * lanes * chains * iterations / time.
/// </summary>
public class FmaPeakBenchmarks
{
    public const int Iterations = 1 << 16;
    public const int Chains = 16;

    [Benchmark(OperationsPerInvoke = Iterations, Description = "FMA Vector512")]
    public Vector512<float> Fma512()
    {
        if (!Avx512F.IsSupported) return default;
        return Fma512Core(Vector512.Create(0.999f), Vector512.Create(1e-3f));
    }

    [Benchmark(OperationsPerInvoke = Iterations, Description = "FMA Vector256")]
    public Vector256<float> Fma256()
    {
        if (!Fma.IsSupported) return default;
        return Fma256Core(Vector256.Create(0.999f), Vector256.Create(1e-3f));
    }

    // The int8 ceiling beside the float one: .NET exposes VNNI at 256 bits only (AvxVnni), one vpdpbusd = 8 lanes x 4
    // multiply-adds, so int8 can at most double the multiply-adds of 512-bit float FMA per instruction.
    [Benchmark(OperationsPerInvoke = Iterations, Description = "VNNI Vector256 (u8 x s8)")]
    public Vector256<int> Vnni256()
    {
        if (!AvxVnni.IsSupported) return default;
        return Vnni256Core(Vector256.Create((byte)3), Vector256.Create((sbyte)-2));
    }

    // The other int8 route at 512 bits: int16 pairs (vpmaddwd, 16 lanes x 2 multiply-adds) and an add into int32.
    [Benchmark(OperationsPerInvoke = Iterations, Description = "vpmaddwd + vpaddd Vector512 (s16 x s16)")]
    public Vector512<int> MaddWd512()
    {
        if (!Avx512BW.IsSupported) return default;
        return MaddWd512Core(Vector512.Create((short)3), Vector512.Create((short)-2));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector512<int> MaddWd512Core(Vector512<short> u, Vector512<short> s)
    {
        // Each product reads its own accumulator (as a kernel reads fresh data), so the JIT can neither share nor hoist it.
        Vector512<int> a0 = u.AsInt32(), a1 = a0 + Vector512<int>.One, a2 = a1 + a1, a3 = a2 + a0, a4 = a3 + a0, a5 = a4 + a0, a6 = a5 + a0, a7 = a6 + a0;
        Vector512<int> a8 = a7 + a0, a9 = a8 + a0, a10 = a9 + a0, a11 = a10 + a0, a12 = a11 + a0, a13 = a12 + a0, a14 = a13 + a0, a15 = a14 + a0;
        for (int i = 0; i < Iterations; i++)
        {
            a0 += Avx512BW.MultiplyAddAdjacent(a0.AsInt16(), s); a1 += Avx512BW.MultiplyAddAdjacent(a1.AsInt16(), s);
            a2 += Avx512BW.MultiplyAddAdjacent(a2.AsInt16(), s); a3 += Avx512BW.MultiplyAddAdjacent(a3.AsInt16(), s);
            a4 += Avx512BW.MultiplyAddAdjacent(a4.AsInt16(), s); a5 += Avx512BW.MultiplyAddAdjacent(a5.AsInt16(), s);
            a6 += Avx512BW.MultiplyAddAdjacent(a6.AsInt16(), s); a7 += Avx512BW.MultiplyAddAdjacent(a7.AsInt16(), s);
            a8 += Avx512BW.MultiplyAddAdjacent(a8.AsInt16(), s); a9 += Avx512BW.MultiplyAddAdjacent(a9.AsInt16(), s);
            a10 += Avx512BW.MultiplyAddAdjacent(a10.AsInt16(), s); a11 += Avx512BW.MultiplyAddAdjacent(a11.AsInt16(), s);
            a12 += Avx512BW.MultiplyAddAdjacent(a12.AsInt16(), s); a13 += Avx512BW.MultiplyAddAdjacent(a13.AsInt16(), s);
            a14 += Avx512BW.MultiplyAddAdjacent(a14.AsInt16(), s); a15 += Avx512BW.MultiplyAddAdjacent(a15.AsInt16(), s);
        }
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<int> Vnni256Core(Vector256<byte> u, Vector256<sbyte> s)
    {
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector256<int> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, u, s); a1 = AvxVnni.MultiplyWideningAndAdd(a1, u, s);
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, u, s); a3 = AvxVnni.MultiplyWideningAndAdd(a3, u, s);
            a4 = AvxVnni.MultiplyWideningAndAdd(a4, u, s); a5 = AvxVnni.MultiplyWideningAndAdd(a5, u, s);
            a6 = AvxVnni.MultiplyWideningAndAdd(a6, u, s); a7 = AvxVnni.MultiplyWideningAndAdd(a7, u, s);
            a8 = AvxVnni.MultiplyWideningAndAdd(a8, u, s); a9 = AvxVnni.MultiplyWideningAndAdd(a9, u, s);
            a10 = AvxVnni.MultiplyWideningAndAdd(a10, u, s); a11 = AvxVnni.MultiplyWideningAndAdd(a11, u, s);
            a12 = AvxVnni.MultiplyWideningAndAdd(a12, u, s); a13 = AvxVnni.MultiplyWideningAndAdd(a13, u, s);
            a14 = AvxVnni.MultiplyWideningAndAdd(a14, u, s); a15 = AvxVnni.MultiplyWideningAndAdd(a15, u, s);
        }
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector512<float> Fma512Core(Vector512<float> m, Vector512<float> c)
    {
        Vector512<float> a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c;
        Vector512<float> a8 = c, a9 = c, a10 = c, a11 = c, a12 = c, a13 = c, a14 = c, a15 = c;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, m, c); a1 = Avx512F.FusedMultiplyAdd(a1, m, c);
            a2 = Avx512F.FusedMultiplyAdd(a2, m, c); a3 = Avx512F.FusedMultiplyAdd(a3, m, c);
            a4 = Avx512F.FusedMultiplyAdd(a4, m, c); a5 = Avx512F.FusedMultiplyAdd(a5, m, c);
            a6 = Avx512F.FusedMultiplyAdd(a6, m, c); a7 = Avx512F.FusedMultiplyAdd(a7, m, c);
            a8 = Avx512F.FusedMultiplyAdd(a8, m, c); a9 = Avx512F.FusedMultiplyAdd(a9, m, c);
            a10 = Avx512F.FusedMultiplyAdd(a10, m, c); a11 = Avx512F.FusedMultiplyAdd(a11, m, c);
            a12 = Avx512F.FusedMultiplyAdd(a12, m, c); a13 = Avx512F.FusedMultiplyAdd(a13, m, c);
            a14 = Avx512F.FusedMultiplyAdd(a14, m, c); a15 = Avx512F.FusedMultiplyAdd(a15, m, c);
        }
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Fma256Core(Vector256<float> m, Vector256<float> c)
    {
        Vector256<float> a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c;
        Vector256<float> a8 = c, a9 = c, a10 = c, a11 = c, a12 = c, a13 = c, a14 = c, a15 = c;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Fma.MultiplyAdd(a0, m, c); a1 = Fma.MultiplyAdd(a1, m, c);
            a2 = Fma.MultiplyAdd(a2, m, c); a3 = Fma.MultiplyAdd(a3, m, c);
            a4 = Fma.MultiplyAdd(a4, m, c); a5 = Fma.MultiplyAdd(a5, m, c);
            a6 = Fma.MultiplyAdd(a6, m, c); a7 = Fma.MultiplyAdd(a7, m, c);
            a8 = Fma.MultiplyAdd(a8, m, c); a9 = Fma.MultiplyAdd(a9, m, c);
            a10 = Fma.MultiplyAdd(a10, m, c); a11 = Fma.MultiplyAdd(a11, m, c);
            a12 = Fma.MultiplyAdd(a12, m, c); a13 = Fma.MultiplyAdd(a13, m, c);
            a14 = Fma.MultiplyAdd(a14, m, c); a15 = Fma.MultiplyAdd(a15, m, c);
        }
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15));
    }
}

/// <summary>
/// A pruned constant weight: the packed dense GEMM (what an unpruned or lightly pruned layer runs) against the CSR kernel
/// (SparseGemm.Compute) at several sparsities, both given the same weights with the smallest |w| zeroed; where the
/// ratio crosses 1 sets SparseWeights.MinSparsity in the generator. Shapes m x n x k: the digits CNN's 512->64 layer
/// at batch 1, a square 512 layer at batch 1 and at batch 16.
/// </summary>
[MemoryDiagnoser]
public class SparseGemmBenchmarks
{
    private float[] _a = null!, _packed = null!, _y = null!, _values = null!;
    private int[] _start = null!, _rows = null!;
    private int _m, _n, _k;

    [Params("1x64x512", "1x512x512", "16x512x512")]
    public string Shape { get; set; } = "";

    [Params(0.5, 0.7, 0.8, 0.9, 0.95)]
    public double Sparsity { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_m, _n, _k) = GemmBenchmarks.Parse(Shape);
        _a = ModelCases.Uniform(_m * _k, 1, -1f, 1f);
        var b = ModelCases.Uniform(_k * _n, 2, -1f, 1f);
        var order = Enumerable.Range(0, b.Length).OrderBy(i => Math.Abs(b[i])).ThenBy(i => i).ToArray();
        for (int i = 0; i < (int)Math.Round(b.Length * Sparsity); i++) b[order[i]] = 0f;
        _y = new float[_m * _n];
        _packed = new float[Gemm.PackedLength(_k, _n)];
        Gemm.PackB(b, _packed, _k, _n, transB: false);
        (_start, _rows, _values) = SparseGemm.Compress(b, _k, _n);
    }

    [Benchmark(Baseline = true, Description = "Gemm.ComputePacked")]
    public void Dense() => Gemm.ComputePacked(_a, _packed, default, _y, _m, _n, _k, Activation.None);

    [Benchmark(Description = "SparseGemm.Compute")]
    public void Sparse() => SparseGemm.Compute(_a, _start, _rows, _values, default, _y, _m, _n, _k, Activation.None);
}

/// <summary>
/// Block-sparse Gemm (PruneBlock="1x16"): the packed dense kernel against BlockSparseGemm.Compute on the same weights with the
/// 1x16 blocks of smallest L2 norm zeroed (sparsity = fraction of blocks zeroed).
/// </summary>
[MemoryDiagnoser]
public class BlockSparseGemmBenchmarks
{
    private float[] _a = null!, _packed = null!, _y = null!, _values = null!;
    private int[] _start = null!, _rows = null!;
    private int _m, _n, _k;

    [Params("1x64x512", "1x512x512", "16x512x512", "64x256x512")]
    public string Shape { get; set; } = "";

    [Params(0.5, 0.625, 0.75)]
    public double Sparsity { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_m, _n, _k) = GemmBenchmarks.Parse(Shape);
        _a = ModelCases.Uniform(_m * _k, 1, -1f, 1f);
        var b = ModelCases.Uniform(_k * _n, 2, -1f, 1f);
        int panels = _n / 16;
        double Norm(int block) => Enumerable.Range(0, 16).Sum(c => (double)b[(block / panels) * _n + (block % panels) * 16 + c] * b[(block / panels) * _n + (block % panels) * 16 + c]);
        var order = Enumerable.Range(0, _k * panels).OrderBy(Norm).ThenBy(i => i).ToArray();
        for (int i = 0; i < (int)Math.Round(order.Length * Sparsity); i++)
            for (int c = 0; c < 16; c++) b[(order[i] / panels) * _n + (order[i] % panels) * 16 + c] = 0f;
        _y = new float[_m * _n];
        _packed = new float[Gemm.PackedLength(_k, _n)];
        Gemm.PackB(b, _packed, _k, _n, transB: false);
        (_start, _rows, _values) = BlockSparseGemm.Compress(b, _k, _n);
    }

    [Benchmark(Baseline = true, Description = "Gemm.ComputePacked")]
    public void Dense() => Gemm.ComputePacked(_a, _packed, default, _y, _m, _n, _k, Activation.None);

    [Benchmark(Description = "BlockSparseGemm.Compute")]
    public void Sparse() => BlockSparseGemm.Compute(_a, _start, _rows, _values, default, _y, _m, _n, _k, Activation.None);
}

/// <summary>
/// A pruned 3x3 Conv (pad 1): the im2col + packed GEMM kernel (Conv.Conv2D with scratch) against Conv.Conv2DSparse
/// (the same columns, nonzero weights only), same weights with the smallest |w| zeroed. Shapes c x h x w -> m: the digits
/// CNN's second Conv and a 64-channel 28x28 layer.
/// </summary>
[MemoryDiagnoser]
public class SparseConvBenchmarks
{
    private float[] _x = null!, _w = null!, _bias = null!, _y = null!, _scratch = null!, _values = null!;
    private int[] _start = null!, _rows = null!;
    private int _c, _h, _m;

    [Params("16x8x8->32", "64x28x28->64")]
    public string Shape { get; set; } = "";

    [Params(0.5, 0.7, 0.9)]
    public double Sparsity { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split("->");
        var input = parts[0].Split('x');
        (_c, _h, _m) = (int.Parse(input[0]), int.Parse(input[1]), int.Parse(parts[1]));
        int depth = _c * 9;
        _x = ModelCases.Uniform(_c * _h * _h, 1, -1f, 1f);
        _w = ModelCases.Uniform(_m * depth, 2, -1f, 1f);
        var order = Enumerable.Range(0, _w.Length).OrderBy(i => Math.Abs(_w[i])).ThenBy(i => i).ToArray();
        for (int i = 0; i < (int)Math.Round(_w.Length * Sparsity); i++) _w[order[i]] = 0f;
        _bias = ModelCases.Uniform(_m, 3, -1f, 1f);
        _y = new float[_m * _h * _h];
        _scratch = new float[Conv.ScratchFloats(_c, _m, 3, 3, _h, _h, 1)];
        (_start, _rows, _values) = SparseGemm.Compress(_w, depth, _m, transposed: true);
    }

    [Benchmark(Baseline = true, Description = "Conv.Conv2D packed")]
    public void Dense() => Conv.Conv2D(_x, _w, _bias, _y, 1, _c, _h, _h, _m, 3, 3, _h, _h, 1, 1, 1, 1, 1, 1, 1, _scratch, Activation.Relu);

    [Benchmark(Description = "Conv.Conv2DSparse")]
    public void Sparse() => Conv.Conv2DSparse(_x, _start, _rows, _values, _bias, _y, 1, _c, _h, _h, _m, 3, 3, _h, _h, 1, 1, 1, 1, 1, 1, _scratch, Activation.Relu);
}

/// <summary>
/// A pruned weight multiplying many rows: the packed dense GEMM against SparseGemm.ComputeRows (blocks of 16 rows
/// transposed into scratch, each nonzero weight broadcast over 16 rows, no gathers); sets SparseWeights.RowsMinSparsity.
/// </summary>
[MemoryDiagnoser]
public class SparseGemmRowsBenchmarks
{
    private float[] _a = null!, _packed = null!, _y = null!, _values = null!, _scratch = null!;
    private int[] _start = null!, _rows = null!;
    private int _m, _n, _k;

    [Params("16x512x512", "64x256x512")]
    public string Shape { get; set; } = "";

    [Params(0.5, 0.7, 0.8, 0.9)]
    public double Sparsity { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_m, _n, _k) = GemmBenchmarks.Parse(Shape);
        _a = ModelCases.Uniform(_m * _k, 1, -1f, 1f);
        var b = ModelCases.Uniform(_k * _n, 2, -1f, 1f);
        var order = Enumerable.Range(0, b.Length).OrderBy(i => Math.Abs(b[i])).ThenBy(i => i).ToArray();
        for (int i = 0; i < (int)Math.Round(b.Length * Sparsity); i++) b[order[i]] = 0f;
        _y = new float[_m * _n];
        _packed = new float[Gemm.PackedLength(_k, _n)];
        Gemm.PackB(b, _packed, _k, _n, transB: false);
        (_start, _rows, _values) = SparseGemm.Compress(b, _k, _n);
        _scratch = new float[SparseGemm.RowsScratchFloats(_k)];
    }

    [Benchmark(Baseline = true, Description = "Gemm.ComputePacked")]
    public void Dense() => Gemm.ComputePacked(_a, _packed, default, _y, _m, _n, _k, Activation.None);

    [Benchmark(Description = "SparseGemm.ComputeRows")]
    public void Sparse() => SparseGemm.ComputeRows(_a, _start, _rows, _values, default, _y, _m, _n, _k, _scratch, Activation.None);
}
