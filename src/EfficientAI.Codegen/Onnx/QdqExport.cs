using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Ops;
using Google.Protobuf;

namespace EfficientAI.Codegen.Onnx;

/// <summary>
/// Writes a compiled graph (after the passes, Quantize="int8" included) as an ONNX model that ONNX Runtime can run:
/// the very computation the generated code does. Each int8 layer becomes the QDQ form of what its kernel computes:
/// - static scale: x -> QuantizeLinear(x_scale, x_zero_point uint8) -> DequantizeLinear, weights as
///   DequantizeLinear(int8 weights, per-channel scales, axis = the output channel), an int32 bias as
///   DequantizeLinear(int32, x_scale * w_scale[ch]), into a float Conv, or MatMul then Add;
/// - dynamic (scale per call): DynamicQuantizeLinear(x), then ConvInteger/MatMulInteger on the int8 weights, Cast to
///   float, Mul by x_scale * w_scale[ch] and Add of the float bias (the form of ONNX Runtime's quantize_dynamic).
/// Float layers stay float; fused activations are written as the nodes they were. Layer outputs stay float, as the
/// kernels write them (no QuantizeLinear after a layer). What cannot be written (internal ops, run-time If branches,
/// subgraphs, an opset too old for per-axis DequantizeLinear with ops whose form changed) is EAI0305.
/// </summary>
internal static class QdqExport
{
    /// <summary>Per-axis DequantizeLinear needs opset 13.</summary>
    private const int MinOpset = 13;

    /// <summary>Ops whose inputs or attributes changed form between the opsets before 13 and 13: raising the opset would change their meaning.</summary>
    private static readonly HashSet<string> s_formChangedBefore13 = new()
    {
        "Split", "Squeeze", "Unsqueeze", "ReduceSum", "Clip", "Pad", "Slice", "Resize", "Upsample", "TopK", "Dropout",
        "Softmax", "LogSoftmax", "Hardmax", "Scan", "If", "Loop", "BatchNormalization",
    };

    public static ModelProto Write(Graph graph)
    {
        var writer = new Writer(graph);
        return writer.Model();
    }

    private sealed class Writer
    {
        private readonly Graph _graph;
        private readonly GraphProto _out = new() { Name = "qdq" };
        private readonly HashSet<string> _names;
        private readonly HashSet<string> _initializers = new(System.StringComparer.Ordinal);
        private readonly int _opset;
        private int _counter;

        public Writer(Graph graph)
        {
            _graph = graph;
            _names = new HashSet<string>(graph.Values.Keys, System.StringComparer.Ordinal);
            int original = graph.Opsets.TryGetValue("", out var v) ? v : 1;
            _opset = System.Math.Max(original, MinOpset);
            if (original < MinOpset && graph.Nodes.FirstOrDefault(n => n.Domain.Length == 0 && s_formChangedBefore13.Contains(n.OpType)) is { } changed)
                throw Refuse($"the model imports opset {original}; per-axis DequantizeLinear needs {MinOpset}, and {changed.Display} changed form in between. Re-export the model at opset 13 or later");
        }

        private static CompileError Refuse(string detail) => new(DiagnosticDescriptors.QdqExportRefused, detail);

        public ModelProto Model()
        {
            foreach (var input in _graph.Inputs) _out.Input.Add(ValueInfo(input));
            foreach (var node in _graph.Nodes) WriteNode(node);
            foreach (var output in _graph.Outputs)
            {
                if (_graph.Values.TryGetValue(output, out var v) && v.Constant is not null && !_graph.Inputs.Contains(output)) Initializer(output, v.Constant);
                _out.Output.Add(ValueInfo(output));
            }
            var model = new ModelProto { IrVersion = 8, ProducerName = "EfficientAI.Codegen", ProducerVersion = "qdq-export", Graph = _out };
            foreach (var kv in _graph.Opsets.OrderBy(kv => kv.Key, System.StringComparer.Ordinal))
                model.OpsetImport.Add(new OperatorSetIdProto { Domain = kv.Key, Version = kv.Key.Length == 0 ? _opset : kv.Value });
            if (!_graph.Opsets.ContainsKey("")) model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = _opset });
            return model;
        }

        private ValueInfoProto ValueInfo(string name)
        {
            var v = _graph.Values[name];
            if (DataTypes.IsHalf(v.Precision) && v.Type == DataType.Float && v.Constant is null)
                throw Refuse($"'{name}' is a float16/bfloat16 tensor computed in float");
            var shape = new TensorShapeProto();
            foreach (var d in v.RequireShape) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)v.Type, Shape = shape } } };
        }

        private string Fresh(string hint)
        {
            string name;
            do name = $"{hint}_qdq{_counter++.ToString(CultureInfo.InvariantCulture)}";
            while (!_names.Add(name));
            return name;
        }

        private void Initializer(string name, Tensor t)
        {
            if (!_initializers.Add(name)) return;
            var proto = new TensorProto { Name = name, DataType = (int)t.Type };
            foreach (var d in t.Shape) proto.Dims.Add(d);
            int size = DataTypes.Size(t.Type);
            var bytes = new byte[t.Length * size];
            System.Buffer.BlockCopy(t.Data, 0, bytes, 0, bytes.Length);
            proto.RawData = ByteString.CopyFrom(bytes);
            _out.Initializer.Add(proto);
        }

        private string Constant(string hint, Tensor t)
        {
            var name = Fresh(hint);
            Initializer(name, t);
            return name;
        }

        private static Tensor Scalar(float v) => Tensor.FromFloats(System.Array.Empty<int>(), new[] { v });

        private NodeProto Add(string op, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, string domain = "")
        {
            var n = new NodeProto { OpType = op, Domain = domain, Name = name };
            n.Input.AddRange(inputs);
            n.Output.AddRange(outputs);
            _out.Node.Add(n);
            return n;
        }

        private static AttributeProto IntAttr(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
        private static AttributeProto FloatAttr(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };

        /// <summary>Writes the constant inputs a node reads as initializers.</summary>
        private void ConstantInputs(Node node)
        {
            foreach (var i in node.Inputs)
                if (i.Length > 0 && _graph.Values.TryGetValue(i, out var v) && v.Constant is not null && !_graph.Inputs.Contains(i)) Initializer(i, v.Constant);
        }

        private void WriteNode(Node node)
        {
            if (node.Guards.Count > 0) throw Refuse($"{node.Display} runs under a run-time If condition");
            if (node.Subgraphs.Count > 0) throw Refuse($"{node.Display} has a subgraph");
            // The node writes its pre-activation value here when an activation was fused into it.
            string output = node.Outputs.Count > 0 ? node.Outputs[0] : "";
            string kernelOut = node.Activation is null ? output : Fresh(output + "_preact");
            if (node.Domain == QuantizedMatMulOp.OpDomain && node.OpType is "QuantizedConv" or "QuantizedMatMul")
                QuantizedLayer(node, kernelOut);
            else if (node.Domain.Length == 0 || node.Domain == "com.microsoft")
                FloatNode(node, kernelOut);
            else
                throw Refuse($"{node.Display} is an internal op of domain '{node.Domain}' with no ONNX form");
            if (node.Activation is { } act) Activation(node, act, kernelOut, output);
        }

        private void FloatNode(Node node, string kernelOut)
        {
            ConstantInputs(node);
            var inputs = node.Inputs.ToList();
            if (node.ChannelsLastInput)
            {
                // ChannelsLastConvInput removed an NHWC-to-NCHW Transpose: put it back.
                var nchw = Fresh(inputs[0] + "_nchw");
                var t = Add("Transpose", Fresh(node.Name + "_transpose"), new[] { inputs[0] }, new[] { nchw });
                t.Attribute.Add(new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 0, 3, 1, 2 } });
                inputs[0] = nchw;
            }
            if (node.OpType == "Gelu" && node.Domain.Length == 0 && _opset < 20)
                throw Refuse($"{node.Display} is Gelu (opset 20) in a model of opset {_opset}; set DisabledPasses=GeluRecognition for the export");
            if (node.OpType == "LayerNormalization" && node.Domain.Length == 0 && _opset < 17)
                throw Refuse($"{node.Display} is LayerNormalization (opset 17) in a model of opset {_opset}; set DisabledPasses=LayerNormalizationRecognition for the export");
            var outputs = node.Outputs.ToList();
            if (outputs.Count > 0) outputs[0] = kernelOut;
            // ResidualAddFusion's Conv reads its residual as a fourth input: written back as Conv then Add.
            string? residual = node.OpType == "Conv" && node.HasInput(3) ? inputs[3] : null;
            if (residual is not null)
            {
                inputs = inputs.Take(3).ToList();
                while (inputs.Count > 0 && inputs[inputs.Count - 1].Length == 0) inputs.RemoveAt(inputs.Count - 1);
                outputs[0] = Fresh(kernelOut + "_conv");
            }
            var n = Add(node.OpType, node.Name, inputs, outputs, node.Domain);
            foreach (var attr in node.Attributes.OrderBy(a => a.Key, System.StringComparer.Ordinal)) n.Attribute.Add(attr.Value);
            if (residual is not null) Add("Add", Fresh(node.Name + "_residual"), new[] { outputs[0], residual }, new[] { kernelOut });
        }

        /// <summary>The activation an op applied as its epilogue, written back as the node(s) it was.</summary>
        private void Activation(Node node, FusedActivation act, string input, string output)
        {
            string name = Fresh(node.Name + "_" + act.Kind);
            switch (act.Kind)
            {
                case "Relu" or "Sigmoid" or "Tanh":
                    Add(act.Kind, name, new[] { input }, new[] { output });
                    break;
                case "Clip":
                    Add("Clip", name, new[] { input, Constant("clip_min", Scalar(act.Alpha)), Constant("clip_max", Scalar(act.Beta)) }, new[] { output });
                    break;
                case "LeakyRelu":
                    Add("LeakyRelu", name, new[] { input }, new[] { output }).Attribute.Add(FloatAttr("alpha", act.Alpha));
                    break;
                case "HardSigmoid":
                    Add("HardSigmoid", name, new[] { input }, new[] { output }).Attribute.Add(new[] { FloatAttr("alpha", act.Alpha), FloatAttr("beta", act.Beta) });
                    break;
                case "HardSwish":
                    if (_opset >= 14) Add("HardSwish", name, new[] { input }, new[] { output });
                    else
                    {
                        // x * HardSigmoid(x, 1/6, 1/2): HardSwish's definition, for opsets before 14.
                        var gate = Fresh(input + "_gate");
                        Add("HardSigmoid", name, new[] { input }, new[] { gate }).Attribute.Add(new[] { FloatAttr("alpha", 1f / 6), FloatAttr("beta", 0.5f) });
                        Add("Mul", Fresh(name), new[] { input, gate }, new[] { output });
                    }
                    break;
                case "Gelu" or "GeluTanh":
                    if (_opset < 20) throw Refuse($"{node.Display} has a fused Gelu (opset 20) in a model of opset {_opset}; set DisabledPasses=GeluRecognition for the export");
                    var gelu = Add("Gelu", name, new[] { input }, new[] { output });
                    if (act.Kind == "GeluTanh") gelu.Attribute.Add(new AttributeProto { Name = "approximate", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("tanh") });
                    break;
                default:
                    throw Refuse($"{node.Display} has a fused activation {act.Kind} with no ONNX form here");
            }
        }

        /// <summary>A QuantizedConv or QuantizedMatMul as the QDQ (static) or integer (dynamic) ONNX ops its kernel matches.</summary>
        private void QuantizedLayer(Node node, string output)
        {
            bool conv = node.OpType == "QuantizedConv";
            var x = node.Inputs[0];
            var w = _graph.Values[node.Inputs[1]].Constant!;
            var wScales = _graph.Values[node.Inputs[2]].Constant!.ToFloats();
            var bias = node.HasInput(3) ? _graph.Values[node.Inputs[3]].Constant : null;
            int channels = wScales.Length;
            int rank = _graph.Values[node.Outputs[0]].RequireShape.Length;
            string baseName = node.Name.Length > 0 ? node.Name : node.OpType;
            var convAttributes = node.Attributes.Where(a => a.Key is not ("x_scale" or "x_zero_point")).OrderBy(a => a.Key, System.StringComparer.Ordinal).Select(a => a.Value).ToList();
            string wq = Constant(node.Inputs[1], w);
            int wAxis = conv ? 0 : 1;
            if (node.Attributes.TryGetValue("x_scale", out var xs))
            {
                float xScale = xs.F;
                int xZero = node.Attributes.TryGetValue("x_zero_point", out var xz) ? (int)xz.I : 0;
                string scaleName = Constant(baseName + "_x_scale", Scalar(xScale));
                string zeroName = Constant(baseName + "_x_zero_point", new Tensor(DataType.UInt8, System.Array.Empty<int>(), new[] { (byte)xZero }));
                string xq = Fresh(x + "_quantized"), xd = Fresh(x + "_dequantized");
                Add("QuantizeLinear", Fresh(baseName + "_quantize_input"), new[] { x, scaleName, zeroName }, new[] { xq });
                Add("DequantizeLinear", Fresh(baseName + "_dequantize_input"), new[] { xq, scaleName, zeroName }, new[] { xd });
                string wd = Fresh(node.Inputs[1] + "_dequantized");
                Add("DequantizeLinear", Fresh(baseName + "_dequantize_weights"),
                    new[] { wq, Constant(node.Inputs[1] + "_scale", Tensor.FromFloats(new[] { channels }, wScales)),
                        Constant(node.Inputs[1] + "_zero_point", new Tensor(DataType.Int8, new[] { channels }, new sbyte[channels])) },
                    new[] { wd }).Attribute.Add(IntAttr("axis", wAxis));
                string? b = null;
                if (bias is { Type: DataType.Int32 })
                {
                    // The kernel adds the int32 bias to the sums, then scales by x_scale * w_scale[ch] (one float product).
                    var biasScales = wScales.Select(s => s * xScale).ToArray();
                    b = Fresh(node.Inputs[3] + "_dequantized");
                    Add("DequantizeLinear", Fresh(baseName + "_dequantize_bias"),
                        new[] { Constant(node.Inputs[3], bias), Constant(node.Inputs[3] + "_scale", Tensor.FromFloats(new[] { channels }, biasScales)),
                            Constant(node.Inputs[3] + "_zero_point", new Tensor(DataType.Int32, new[] { channels }, new int[channels])) },
                        new[] { b }).Attribute.Add(IntAttr("axis", 0));
                }
                else if (bias is not null) b = Constant(node.Inputs[3], bias);
                if (conv)
                {
                    var c = Add("Conv", baseName, b is null ? new[] { xd, wd } : new[] { xd, wd, b }, new[] { output });
                    c.Attribute.AddRange(convAttributes);
                }
                else if (b is null) Add("MatMul", baseName, new[] { xd, wd }, new[] { output });
                else if (rank == 2) Add("Gemm", baseName, new[] { xd, wd, b }, new[] { output }); // the QDQ Gemm form, bias DQ as C
                else
                {
                    string product = Fresh(output + "_product");
                    Add("MatMul", baseName, new[] { xd, wd }, new[] { product });
                    Add("Add", Fresh(baseName + "_bias"), new[] { product, b }, new[] { output });
                }
                return;
            }
            // Dynamic: the activation's range on this call gives its scale and zero point, as the kernel's Quantize.Dynamic.
            string q = Fresh(x + "_quantized"), qs = Fresh(x + "_scale"), qz = Fresh(x + "_zero_point");
            Add("DynamicQuantizeLinear", Fresh(baseName + "_quantize_input"), new[] { x }, new[] { q, qs, qz });
            string sums = Fresh(output + "_int32"), sumsFloat = Fresh(output + "_int32_float");
            if (conv) Add("ConvInteger", baseName, new[] { q, wq, qz }, new[] { sums }).Attribute.AddRange(convAttributes);
            else Add("MatMulInteger", baseName, new[] { q, wq, qz }, new[] { sums });
            Add("Cast", Fresh(baseName + "_to_float"), new[] { sums }, new[] { sumsFloat }).Attribute.Add(IntAttr("to", (int)DataType.Float));
            // Per-channel factors shaped to broadcast over the output: [ch] for MatMul (last axis), [ch, 1, ...] for Conv (axis 1).
            var channelShape = conv ? new[] { channels }.Concat(Enumerable.Repeat(1, rank - 2)).ToArray() : new[] { channels };
            string factor = Fresh(output + "_scale");
            Add("Mul", Fresh(baseName + "_scale"), new[] { Constant(node.Inputs[1] + "_scale", Tensor.FromFloats(channelShape, wScales)), qs }, new[] { factor });
            string scaled = bias is null ? output : Fresh(output + "_scaled");
            Add("Mul", Fresh(baseName + "_rescale"), new[] { sumsFloat, factor }, new[] { scaled });
            if (bias is not null)
                Add("Add", Fresh(baseName + "_bias"), new[] { scaled, Constant(node.Inputs[3], Tensor.FromFloats(channelShape, bias.ToFloats())) }, new[] { output });
        }
    }
}
