// Small dense linear algebra on batches of square matrices.
using System;

namespace EfficientAI.Runtime;

/// <summary>Linear algebra kernels.</summary>
public static class LinearAlgebra
{
    /// <summary>
    /// Det: y[b] = determinant of the n x n matrix x[b] (row-major), by LU decomposition with partial pivoting in
    /// double. scratch holds at least n * n doubles.
    /// </summary>
    public static void Determinant(ReadOnlySpan<float> x, Span<float> y, int batch, int n, Span<double> scratch)
    {
        int size = n * n;
        if (x.Length < (long)batch * size || y.Length < batch || scratch.Length < size) ThrowHelper.Argument("A span is shorter than its shape.");
        for (int b = 0; b < batch; b++)
        {
            var a = scratch.Slice(0, size);
            for (int i = 0; i < size; i++) a[i] = x[b * size + i];
            double det = 1;
            for (int k = 0; k < n && det != 0; k++)
            {
                int pivot = k;
                for (int r = k + 1; r < n; r++) if (Math.Abs(a[r * n + k]) > Math.Abs(a[pivot * n + k])) pivot = r;
                if (a[pivot * n + k] == 0)
                {
                    det = 0;
                    break;
                }
                if (pivot != k)
                {
                    for (int c = 0; c < n; c++) (a[k * n + c], a[pivot * n + c]) = (a[pivot * n + c], a[k * n + c]);
                    det = -det;
                }
                double d = a[k * n + k];
                det *= d;
                for (int r = k + 1; r < n; r++)
                {
                    double f = a[r * n + k] / d;
                    if (f == 0) continue;
                    for (int c = k + 1; c < n; c++) a[r * n + c] -= f * a[k * n + c];
                }
            }
            y[b] = (float)det;
        }
    }
}
