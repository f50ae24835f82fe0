// The activation a Conv/Gemm/MatMul kernel applies in its epilogue, while the output tile is still in registers
// (Relu, LeakyRelu, Clip) or in L1 (the rest, by the same element-wise code the unfused op would run, so a fused
// node gives the same bits as the unfused pair). The graph pass that fuses a following activation node sets it.
using System;

namespace EfficientAI.Runtime;

/// <summary>Which activation a fused kernel applies to its output.</summary>
public enum ActivationKind
{
    /// <summary>identity</summary>
    None,
    /// <summary>max(x, 0)</summary>
    Relu,
    /// <summary>x &lt; 0 ? alpha * x : x</summary>
    LeakyRelu,
    /// <summary>min(max(x, alpha), beta)</summary>
    Clip,
    /// <summary>max(0, min(1, alpha * x + beta))</summary>
    HardSigmoid,
    /// <summary>x * max(0, min(1, x / 6 + 0.5))</summary>
    HardSwish,
    /// <summary>1 / (1 + exp(-x))</summary>
    Sigmoid,
    /// <summary>tanh(x)</summary>
    Tanh,
    /// <summary>x * 0.5 * (1 + erf(x / sqrt(2)))</summary>
    Gelu,
    /// <summary>x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))</summary>
    GeluTanh,
}

/// <summary>An activation with its parameters (alpha, beta as in <see cref="ActivationKind"/>).</summary>
public readonly record struct Activation(ActivationKind Kind, float Alpha = 0f, float Beta = 0f)
{
    /// <summary>No activation.</summary>
    public static Activation None => default;

    /// <summary>max(x, 0).</summary>
    public static Activation Relu => new(ActivationKind.Relu);

    /// <summary>True when the kernels apply it to vectors in registers; otherwise to each finished output row.</summary>
    internal bool InRegisters => Kind is ActivationKind.None or ActivationKind.Relu or ActivationKind.LeakyRelu or ActivationKind.Clip;

    /// <summary>Applies the activation to y in place.</summary>
    public void Apply(Span<float> y)
    {
        switch (Kind)
        {
            case ActivationKind.None: break;
            case ActivationKind.Relu: Elementwise.Unary(UnaryOp.Relu, y, y, 0f, 0f); break;
            case ActivationKind.LeakyRelu: Elementwise.Unary(UnaryOp.LeakyRelu, y, y, Alpha, 0f); break;
            case ActivationKind.Clip: Elementwise.Unary(UnaryOp.Clip, y, y, Alpha, Beta); break;
            case ActivationKind.HardSigmoid: Elementwise.Unary(UnaryOp.HardSigmoid, y, y, Alpha, Beta); break;
            case ActivationKind.HardSwish: Elementwise.Unary(UnaryOp.HardSwish, y, y, 0f, 0f); break;
            case ActivationKind.Sigmoid: Elementwise.Unary(UnaryOp.Sigmoid, y, y, 0f, 0f); break;
            case ActivationKind.Tanh: Elementwise.Unary(UnaryOp.Tanh, y, y, 0f, 0f); break;
            case ActivationKind.Gelu: Elementwise.Unary(UnaryOp.Gelu, y, y, 0f, 0f); break;
            case ActivationKind.GeluTanh: Elementwise.Unary(UnaryOp.GeluTanh, y, y, 0f, 0f); break;
            default: ThrowHelper.Argument("Unknown activation."); break;
        }
    }
}
