// Kernel contract the generator emits calls to. Every kernel takes spans whose lengths are checked by
// the generated code; shapes are compile-time constants passed as ints or static ReadOnlySpan<int>.
using System;

namespace EfficientAI.Runtime;

/// <summary>Element-wise binary operations with numpy broadcasting.</summary>
public enum BinaryOp
{
    /// <summary>a + b</summary>
    Add,
    /// <summary>a - b</summary>
    Sub,
    /// <summary>a * b</summary>
    Mul,
    /// <summary>a / b (integer division truncates toward zero)</summary>
    Div,
    /// <summary>a ^ b</summary>
    Pow,
    /// <summary>max(a, b)</summary>
    Max,
    /// <summary>min(a, b)</summary>
    Min,
    /// <summary>fmod-style or Python-style remainder, see Mod op; here: a - b * floor(a / b) for integers, C fmod for floats.</summary>
    Mod,
}

/// <summary>Element-wise unary operations. <c>alpha</c> and <c>beta</c> are the op's attributes.</summary>
public enum UnaryOp
{
    /// <summary>max(x, 0)</summary>
    Relu,
    /// <summary>x &lt; 0 ? alpha * x : x</summary>
    LeakyRelu,
    /// <summary>1 / (1 + exp(-x))</summary>
    Sigmoid,
    /// <summary>tanh(x)</summary>
    Tanh,
    /// <summary>min(max(x, alpha), beta)</summary>
    Clip,
    /// <summary>max(0, min(1, alpha * x + beta))</summary>
    HardSigmoid,
    /// <summary>x * max(0, min(1, alpha * x + beta)) with alpha = 1/6, beta = 0.5</summary>
    HardSwish,
    /// <summary>sqrt(x)</summary>
    Sqrt,
    /// <summary>exp(x)</summary>
    Exp,
    /// <summary>ln(x)</summary>
    Log,
    /// <summary>-x</summary>
    Neg,
    /// <summary>|x|</summary>
    Abs,
    /// <summary>1 / x</summary>
    Reciprocal,
    /// <summary>floor(x)</summary>
    Floor,
    /// <summary>ceil(x)</summary>
    Ceil,
    /// <summary>round half to even</summary>
    Round,
    /// <summary>erf(x)</summary>
    Erf,
    /// <summary>x * 0.5 * (1 + erf(x / sqrt(2)))</summary>
    Gelu,
    /// <summary>x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))</summary>
    GeluTanh,
    /// <summary>x &gt; 0 ? x : alpha * (exp(x) - 1)</summary>
    Elu,
    /// <summary>beta * (x &gt; 0 ? x : alpha * (exp(x) - 1)) (alpha, beta = ONNX alpha, gamma)</summary>
    Selu,
    /// <summary>ln(1 + exp(x))</summary>
    Softplus,
    /// <summary>x / (1 + |x|)</summary>
    Softsign,
    /// <summary>sign(x)</summary>
    Sign,
    /// <summary>sin(x)</summary>
    Sin,
    /// <summary>cos(x)</summary>
    Cos,
    /// <summary>x * sigmoid(x)</summary>
    Swish,
    /// <summary>x * tanh(softplus(x))</summary>
    Mish,
    /// <summary>x &gt; alpha ? x : 0 (ThresholdedRelu, as in ONNX)</summary>
    ThresholdedRelu,
    /// <summary>x &gt; alpha ? x : 0 ... Shrink: x &lt; -alpha ? x + beta : x &gt; alpha ? x - beta : 0</summary>
    Shrink,
    /// <summary>alpha * x if x &lt; 0 ... Celu: max(0,x) + min(0, alpha * (exp(x/alpha) - 1))</summary>
    Celu,
    /// <summary>tan(x)</summary>
    Tan,
    /// <summary>asin(x)</summary>
    Asin,
    /// <summary>acos(x)</summary>
    Acos,
    /// <summary>atan(x)</summary>
    Atan,
    /// <summary>sinh(x)</summary>
    Sinh,
    /// <summary>cosh(x)</summary>
    Cosh,
    /// <summary>asinh(x)</summary>
    Asinh,
    /// <summary>acosh(x)</summary>
    Acosh,
    /// <summary>atanh(x)</summary>
    Atanh,
}

/// <summary>Reductions over a set of axes.</summary>
public enum ReduceOp
{
    /// <summary>sum</summary>
    Sum,
    /// <summary>mean</summary>
    Mean,
    /// <summary>max</summary>
    Max,
    /// <summary>min</summary>
    Min,
    /// <summary>product</summary>
    Prod,
    /// <summary>sum of |x|</summary>
    L1,
    /// <summary>sqrt of sum of x^2</summary>
    L2,
    /// <summary>ln(sum(x))</summary>
    LogSum,
    /// <summary>ln(sum(exp(x)))</summary>
    LogSumExp,
    /// <summary>sum of x^2</summary>
    SumSquare,
}

/// <summary>Pad modes of the ONNX Pad op.</summary>
public enum PadMode
{
    /// <summary>fill with a constant</summary>
    Constant,
    /// <summary>mirror without repeating the edge</summary>
    Reflect,
    /// <summary>repeat the edge value</summary>
    Edge,
    /// <summary>wrap around</summary>
    Wrap,
}
