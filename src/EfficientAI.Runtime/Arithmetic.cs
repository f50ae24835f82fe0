// Broadcasting arithmetic that Elementwise.Binary does not cover: PRelu (per-channel or any broadcast slope)
// and the truncated integer remainder (ONNX Mod with fmod=1 on integers).
using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace EfficientAI.Runtime;

/// <summary>Broadcasting element-wise arithmetic beyond <see cref="Elementwise"/>.</summary>
public static class Arithmetic
{
    /// <summary>y = x &lt; 0 ? slope * x : x, slope broadcast to x (strides per output axis, 0 on broadcast axes).</summary>
    public static void PRelu(ReadOnlySpan<float> x, ReadOnlySpan<float> slope, Span<float> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> xStrides, ReadOnlySpan<int> slopeStrides) =>
        Broadcasting.Binary<float, float, PReluOp>(x, slope, y, outShape, xStrides, slopeStrides);

    /// <summary>y = a % b truncated toward zero (the sign of a, as C fmod) on integers, with broadcasting.</summary>
    public static void Remainder<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y,
        ReadOnlySpan<int> outShape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) where T : unmanaged, IBinaryInteger<T> =>
        Broadcasting.Binary<T, T, RemainderOp<T>>(a, b, y, outShape, aStrides, bStrides);

    private struct PReluOp : IBroadcastKernel<float, float>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Apply(float x, float slope) => x < 0f ? slope * x : x;
    }

    private struct RemainderOp<T> : IBroadcastKernel<T, T> where T : IBinaryInteger<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Apply(T a, T b) => a % b;
    }
}
