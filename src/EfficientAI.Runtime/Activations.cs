using System;

namespace EfficientAI.Runtime;

/// <summary>
/// An activation fused into the op that produces its input (a kernel epilogue): the generator's ActivationFusion
/// pass records it on Conv, Gemm and MatMul nodes. <c>alpha</c> and <c>beta</c> are the activation's own parameters,
/// as for <see cref="UnaryOp"/>.
/// </summary>
public enum Activation
{
    /// <summary>No activation.</summary>
    None,
    /// <summary>max(x, 0)</summary>
    Relu,
    /// <summary>min(max(x, alpha), beta) (Relu6: alpha = 0, beta = 6)</summary>
    Clip,
    /// <summary>x &lt; 0 ? alpha * x : x</summary>
    LeakyRelu,
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

/// <summary>Applies a fused <see cref="Activation"/> in place, with the same arithmetic as the stand-alone element-wise op.</summary>
public static class Activations
{
    /// <summary>y = activation(y) element by element.</summary>
    public static void Apply(Activation kind, float alpha, float beta, Span<float> y)
    {
        switch (kind)
        {
            case Activation.None: break;
            case Activation.Relu: Elementwise.Unary(UnaryOp.Relu, y, y, alpha, beta); break;
            case Activation.Clip: Elementwise.Unary(UnaryOp.Clip, y, y, alpha, beta); break;
            case Activation.LeakyRelu: Elementwise.Unary(UnaryOp.LeakyRelu, y, y, alpha, beta); break;
            case Activation.HardSigmoid: Elementwise.Unary(UnaryOp.HardSigmoid, y, y, alpha, beta); break;
            case Activation.HardSwish: Elementwise.Unary(UnaryOp.HardSwish, y, y, alpha, beta); break;
            case Activation.Sigmoid: Elementwise.Unary(UnaryOp.Sigmoid, y, y, alpha, beta); break;
            case Activation.Tanh: Elementwise.Unary(UnaryOp.Tanh, y, y, alpha, beta); break;
            case Activation.Gelu: Elementwise.Unary(UnaryOp.Gelu, y, y, alpha, beta); break;
            case Activation.GeluTanh: Elementwise.Unary(UnaryOp.GeluTanh, y, y, alpha, beta); break;
            default: ThrowHelper.Argument("Unknown Activation."); break;
        }
    }
}
