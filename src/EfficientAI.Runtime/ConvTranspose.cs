// Transposed convolution of any spatial rank. Per image and group one GEMM forms every (output channel, kernel tap)
// row against every input position (W_g^T x X_g); col2im then scatters those rows into the output with the strides,
// dilations and leading pads. The column matrix lives in the caller's scratch span.
using System;
using System.Numerics.Tensors;

namespace EfficientAI.Runtime;

/// <summary>ConvTranspose (the gradient of Conv with respect to its input), N-D.</summary>
public static class ConvTranspose
{
    /// <summary>Floats of scratch <see cref="Compute"/> needs.</summary>
    public static long ScratchFloats(int outChannels, int group, ReadOnlySpan<int> inSpatial, ReadOnlySpan<int> kernel)
    {
        long taps = 1, positions = 1;
        for (int d = 0; d < kernel.Length; d++) taps *= kernel[d];
        for (int d = 0; d < inSpatial.Length; d++) positions *= inSpatial[d];
        return outChannels / group * taps * positions;
    }

    /// <summary>
    /// y [batch, outChannels, outSpatial...] from x [batch, inChannels, inSpatial...] and w [inChannels,
    /// outChannels/group, kernel...]; bias [outChannels] or empty. Output position o on axis d receives input i through
    /// tap k when o = i * strides[d] - padBegin[d] + k * dilations[d].
    /// </summary>
    public static void Compute(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch,
        int batch, int inChannels, int outChannels, int group, ReadOnlySpan<int> inSpatial, ReadOnlySpan<int> outSpatial,
        ReadOnlySpan<int> kernel, ReadOnlySpan<int> strides, ReadOnlySpan<int> padBegin, ReadOnlySpan<int> dilations)
    {
        int rank = inSpatial.Length;
        Shapes.CheckRank(rank);
        if (rank == 0 || outSpatial.Length != rank || kernel.Length != rank || strides.Length != rank || padBegin.Length != rank || dilations.Length != rank)
            ThrowHelper.Argument("every spatial table needs one entry per spatial axis.");
        if (group <= 0 || inChannels % group != 0 || outChannels % group != 0) ThrowHelper.Argument("group must divide the channels.");
        int inPositions = 1, outPositions = 1, taps = 1;
        for (int d = 0; d < rank; d++)
        {
            inPositions *= inSpatial[d];
            outPositions *= outSpatial[d];
            taps *= kernel[d];
        }
        int cg = inChannels / group, mg = outChannels / group;
        if (x.Length != batch * inChannels * inPositions || y.Length != batch * outChannels * outPositions || w.Length != inChannels * mg * taps)
            ThrowHelper.Argument("x, w or y does not match the shapes.");
        if (!bias.IsEmpty && bias.Length != outChannels) ThrowHelper.Argument("bias must hold one value per output channel.");
        var columns = scratch.Slice(0, checked(mg * taps * inPositions));

        Span<int> tap = stackalloc int[Shapes.MaxRank];
        Span<int> position = stackalloc int[Shapes.MaxRank];
        Span<int> outStrides = stackalloc int[Shapes.MaxRank];
        Shapes.ContiguousStrides(outSpatial, outStrides);
        int last = rank - 1, inner = inSpatial[last];
        int outer = inPositions / Math.Max(1, inner);

        for (int n = 0; n < batch; n++)
        {
            for (int g = 0; g < group; g++)
            {
                var xg = x.Slice((n * inChannels + g * cg) * inPositions, cg * inPositions);
                var wg = w.Slice(g * cg * mg * taps, cg * mg * taps);
                // columns[m * taps + k, p] = sum_c w[c, m, k] * x[c, p]
                Gemm.Compute(wg, xg, default, columns, mg * taps, inPositions, cg, true, false, 1f, 0f, 0, 0);
                for (int m = 0; m < mg; m++)
                {
                    int channel = g * mg + m;
                    var plane = y.Slice((n * outChannels + channel) * outPositions, outPositions);
                    plane.Fill(bias.IsEmpty ? 0f : bias[channel]);
                    tap.Clear();
                    for (int k = 0; k < taps; k++)
                    {
                        var row = columns.Slice((m * taps + k) * inPositions, inPositions);
                        // Input range on the last axis whose outputs land inside the plane.
                        int shift = tap[last] * dilations[last] - padBegin[last], s = strides[last], outLast = outSpatial[last];
                        int jBegin = shift >= 0 ? 0 : (-shift + s - 1) / s;
                        int jEnd = Math.Min(inner, outLast - 1 - shift < 0 ? 0 : (outLast - 1 - shift) / s + 1);
                        position.Clear();
                        for (int q = 0; q < outer; q++)
                        {
                            int offset = 0;
                            bool inside = true;
                            for (int d = 0; d < last; d++)
                            {
                                int o = position[d] * strides[d] - padBegin[d] + tap[d] * dilations[d];
                                if ((uint)o >= (uint)outSpatial[d]) { inside = false; break; }
                                offset += o * outStrides[d];
                            }
                            if (inside)
                            {
                                var src = row.Slice(q * inner, inner);
                                if (s == 1 && jEnd > jBegin)
                                {
                                    // Unit stride: the run lands contiguously, one vector add.
                                    var run = plane.Slice(offset + jBegin + shift, jEnd - jBegin);
                                    TensorPrimitives.Add(run, src.Slice(jBegin, jEnd - jBegin), run);
                                }
                                else
                                {
                                    for (int j = jBegin; j < jEnd; j++) plane[offset + j * s + shift] += src[j];
                                }
                            }
                            for (int d = last - 1; d >= 0; d--)
                            {
                                if (++position[d] < inSpatial[d]) break;
                                position[d] = 0;
                            }
                        }
                        for (int d = last; d >= 0; d--)
                        {
                            if (++tap[d] < kernel[d]) break;
                            tap[d] = 0;
                        }
                    }
                }
            }
        }
    }
}
