using System;

namespace EfficientAI.Codegen;

/// <summary>Single-precision math for compile-time folding (netstandard2.0 has no System.MathF).</summary>
internal static class MathF
{
    public static float Exp(float x) => (float)Math.Exp(x);
    public static float Log(float x) => (float)Math.Log(x);
    public static float Sqrt(float x) => (float)Math.Sqrt(x);
    public static float Tanh(float x) => (float)Math.Tanh(x);
    public static float Sin(float x) => (float)Math.Sin(x);
    public static float Cos(float x) => (float)Math.Cos(x);
    public static float Floor(float x) => (float)Math.Floor(x);
    public static float Ceiling(float x) => (float)Math.Ceiling(x);
    public static float Round(float x, MidpointRounding mode) => (float)Math.Round(x, mode);
    public static float Pow(float x, float y) => (float)Math.Pow(x, y);
}
