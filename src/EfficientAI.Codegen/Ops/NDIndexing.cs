using System.Linq;

namespace EfficientAI.Codegen.Ops;

/// <summary>Geometry shared by GatherND and ScatterND: data as [batch, dims..., slice], indices as [batch, n, m].</summary>
internal static class NDIndexing
{
    public static (int Batch, int N, int[] Dims, int Slice) Resolve(OpContext ctx, int batchDims)
    {
        var data = ctx.Shape(0);
        var idx = ctx.Shape(1);
        if (idx.Length < 1) throw ctx.Fail("indices must have rank 1 or more");
        int m = idx[idx.Length - 1];
        if (batchDims < 0 || batchDims >= System.Math.Min(data.Length, idx.Length)) throw ctx.Fail($"batch_dims {batchDims} is out of range");
        if (m < 1 || batchDims + m > data.Length) throw ctx.Fail($"index tuples of length {m} do not fit data of rank {data.Length} with batch_dims {batchDims}");
        for (int d = 0; d < batchDims; d++)
            if (data[d] != idx[d]) throw ctx.Fail($"batch dimension {d} differs: data {Ir.Shape.Format(data)}, indices {Ir.Shape.Format(idx)}");
        int batch = 1, n = 1, slice = 1;
        for (int d = 0; d < batchDims; d++) batch = checked(batch * data[d]);
        for (int d = batchDims; d < idx.Length - 1; d++) n = checked(n * idx[d]);
        for (int d = batchDims + m; d < data.Length; d++) slice = checked(slice * data[d]);
        return (batch, n, data.Skip(batchDims).Take(m).ToArray(), slice);
    }

    /// <summary>Flat element offset of an index tuple within one batch block; negative indices count from the end.</summary>
    public static int Offset(OpContext ctx, Ir.Tensor indices, int at, int[] dims, int slice)
    {
        long offset = 0;
        for (int d = 0; d < dims.Length; d++)
        {
            long k = indices.GetLong(at + d);
            if (k < 0) k += dims[d];
            if (k < 0 || k >= dims[d]) throw ctx.Fail($"index {indices.GetLong(at + d)} is out of range for dimension size {dims[d]}");
            offset = offset * dims[d] + k;
        }
        return checked((int)(offset * slice));
    }
}
