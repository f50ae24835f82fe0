using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Threading;
using System.Threading.Tasks;
using EfficientAI.Codegen.Diagnostics;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Model;
using EfficientAI.Codegen.Onnx;
using EfficientAI.Codegen.Onnx.Proto;
using EfficientAI.Codegen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EfficientAI.Codegen.Tests.Conformance;

internal enum CaseStatus { Passed, Failed, Unsupported }

/// <summary>How one backend test ended. Unsupported means the generator refused it with a diagnostic (named in <see cref="DiagnosticId"/>).</summary>
internal sealed class CaseResult
{
    public CaseResult(string set, string name)
    {
        Set = set;
        Name = name;
    }

    public string Set { get; }
    public string Name { get; }
    /// <summary>Op types of the model's nodes (subgraphs included), non-default domains as "domain:Op".</summary>
    public string[] Ops { get; set; } = Array.Empty<string>();
    /// <summary>The imported opset of the default domain.</summary>
    public int Opset { get; set; }
    /// <summary>Element types of the model's inputs and outputs, as the generated signature has them.</summary>
    public string[] Types { get; set; } = Array.Empty<string>();
    public CaseStatus Status { get; set; } = CaseStatus.Failed;
    /// <summary>Largest absolute difference from the expected outputs (passed and numerically failed cases).</summary>
    public double? MaxError { get; set; }
    /// <summary>The EAI id of a refusal or a generator failure; "harness" when the test data does not fit the generated signature.</summary>
    public string? DiagnosticId { get; set; }
    public string? Message { get; set; }
    /// <summary>Graph inputs that decide a shape, bound to the test data's values with the ConstantInputs option.</summary>
    public string[] BoundInputs { get; set; } = Array.Empty<string>();
    /// <summary>True when the whole case also folded at compile time (inputs as initializers) and the folded outputs matched the kernel's.</summary>
    public bool FoldChecked { get; set; }

    public void Refuse(string id, string message)
    {
        Status = CaseStatus.Unsupported;
        DiagnosticId = id;
        Message = message;
    }

    public void Fail(string message, string? id = null)
    {
        Status = CaseStatus.Failed;
        DiagnosticId = id;
        Message = message;
    }
}

/// <summary>
/// Runs ONNX backend tests through the whole compiler (<see cref="ModelCompiler"/>), compiles the generated C# of many
/// cases in one Roslyn compilation (each model in its own namespace), runs each data set and compares with the expected
/// outputs using ONNX's backend-test tolerances.
/// </summary>
internal static class ConformanceRunner
{
    /// <summary>ONNX's backend-test tolerances (onnx/backend/test/runner: rtol 1e-3, atol 1e-7): |actual - expected| &lt;= atol + rtol * |expected|.</summary>
    public const double Rtol = 1e-3, Atol = 1e-7;

    /// <summary>Cases per Roslyn compilation: compiling is the slow part, and most of its cost is per compilation.</summary>
    private const int BatchSize = 80;

    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(60);

    private sealed class Prepared
    {
        public required CaseResult Result { get; init; }
        public required string Namespace { get; init; }
        public required GeneratedSource[] Sources { get; init; }
        public required string Shim { get; init; }
        public required Value[] Outputs { get; init; }
        public required List<(string Name, Array[] Inputs, (Tensor Tensor, DataType Stored)[] Expected)> Data { get; init; }
        /// <summary>Per data set, the outputs constant folding computes when every input is an initializer; null where the graph does not fold whole.</summary>
        public List<Tensor[]?> Folded { get; init; } = new();
    }

    /// <summary>Folded outputs against the kernel's: the two implementations of one op must agree closer than either agrees with ONNX.</summary>
    public const double FoldRtol = 1e-5, FoldAtol = 1e-6;

    public static List<CaseResult> Run(IReadOnlyList<TestCase> cases)
    {
        var results = new CaseResult[cases.Count];
        var prepared = new Prepared?[cases.Count];
        Parallel.For(0, cases.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            results[i] = new CaseResult(cases[i].Set, cases[i].Name);
            prepared[i] = Prepare(cases[i], i, results[i]);
        });
        var ready = prepared.Where(p => p is not null).Select(p => p!).ToList();
        for (int b = 0; b < ready.Count; b += BatchSize) CompileAndRun(ready.Skip(b).Take(BatchSize).ToList());
        return results.ToList();
    }

    /// <summary>Generates the case's C# and reads its data; null (with the result set) when it ends before compiling.</summary>
    private static Prepared? Prepare(TestCase testCase, int index, CaseResult result)
    {
        byte[] bytes;
        ModelProto proto;
        IReadOnlyList<DataSet> dataSets;
        try
        {
            bytes = File.ReadAllBytes(testCase.ModelPath);
            proto = ModelProto.Parser.ParseFrom(bytes);
            dataSets = testCase.DataSets();
        }
        catch (Exception e)
        {
            result.Fail("cannot read the test case: " + e.Message);
            return null;
        }
        result.Ops = OpsOf(proto.Graph).Distinct().ToArray();
        result.Opset = (int)(proto.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 1);
        if (dataSets.Count == 0)
        {
            result.Refuse("harness", "the case has no test data set");
            return null;
        }

        var ns = "Conformance." + Identifier(testCase.Set) + ".C" + index.ToString(CultureInfo.InvariantCulture);
        var initializers = new HashSet<string>(proto.Graph.Initializer.Select(t => t.Name));
        var modelInputs = proto.Graph.Input.Where(i => !initializers.Contains(i.Name)).Select(i => i.Name).ToList();
        if (dataSets.Any(d => d.Inputs.Length != modelInputs.Count || d.Outputs.Length != proto.Graph.Output.Count))
        {
            result.Refuse("harness", $"the test data does not have one tensor per graph input ({modelInputs.Count}) and output ({proto.Graph.Output.Count})");
            return null;
        }

        // An input that decides a shape (axes, pads, a target shape) is refused with EAI0204 when it is a graph input; the
        // remedy the diagnostic names is to bind it as a constant, so the suite does that with the test data and compiles again.
        var bound = new List<string>();
        ModelCompiler.Result compiled;
        while (true)
        {
            var options = new ModelOptions("Model", ns, "", ShapesFromData(proto, dataSets[0]), ConstantsFromData(modelInputs, dataSets[0], bound), "");
            try
            {
                compiled = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile(testCase.ModelPath, new EquatableArray<byte>(bytes), null), options), CancellationToken.None);
            }
            catch (Exception e)
            {
                result.Fail("the generator threw " + e.GetType().Name + ": " + e.Message);
                return null;
            }
            // The value the diagnostic names, or the graph inputs it is computed from.
            var shapeInputs = compiled.Output.Diagnostics.Where(d => d.Id == DiagnosticDescriptors.DataDependentShape.Id)
                .SelectMany(d => GraphInputsBehind(proto.Graph, modelInputs, d.Format())).Where(n => !bound.Contains(n)).ToList();
            var toBind = shapeInputs.Where(n => n.IndexOfAny(new[] { ';', '=' }) < 0 && dataSets.All(d => SameValues(d, dataSets[0], modelInputs.IndexOf(n)))).Distinct().ToList();
            if (toBind.Count == 0) break;
            bound.AddRange(toBind);
        }
        result.BoundInputs = bound.ToArray();
        var errors = compiled.Output.Diagnostics.Where(d => d.IsError).ToList();
        if (errors.Count > 0)
        {
            var message = string.Join(" | ", errors.Select(d => d.Format()));
            if (errors.Any(d => d.Id == DiagnosticDescriptors.InternalError.Id)) result.Fail(message, DiagnosticDescriptors.InternalError.Id);
            else result.Refuse(errors[0].Id, message);
            return null;
        }

        var graph = compiled.Graph!;
        var inputs = graph.Inputs.Select(n => graph.Values[n]).ToArray();
        var outputs = graph.Outputs.Select(n => graph.Values[n]).ToArray();
        result.Types = inputs.Concat(outputs).Select(v => DataTypes.Name(v.Type)).Distinct().ToArray();

        var data = new List<(string, Array[], (Tensor, DataType)[])>();
        foreach (var set in dataSets)
        {
            var arrays = new Array[inputs.Length];
            var expected = new (Tensor, DataType)[outputs.Length];
            try
            {
                for (int i = 0; i < inputs.Length; i++)
                {
                    var pb = set.Inputs[modelInputs.IndexOf(inputs[i].Name)];
                    var t = TensorReader.Read(pb);
                    var stored = (DataType)pb.DataType;
                    // ONNX 1.12's bfloat16 tests store the bit patterns as uint16: what the generated Infer takes.
                    bool bfloat16Bits = inputs[i].Type == DataType.BFloat16 && stored == DataType.UInt16;
                    if ((stored != inputs[i].Type && !bfloat16Bits) || t.Length != Shape.Elements(inputs[i].RequireShape))
                    {
                        result.Refuse("harness", $"{set.Name} input {i} is {DataTypes.Name(stored)} {Shape.Format(t.Shape)}; the generated Infer takes {DataTypes.Name(inputs[i].Type)} {Shape.Format(inputs[i].RequireShape)}");
                        return null;
                    }
                    // float16 inputs are System.Half, bfloat16 their bits in ushort (TensorReader widened both to float, exactly).
                    arrays[i] = inputs[i].Type switch
                    {
                        DataType.Float16 => ((float[])t.Data).Select(v => (Half)v).ToArray(),
                        DataType.BFloat16 when !bfloat16Bits => ((float[])t.Data).Select(v => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray(),
                        _ => t.Data,
                    };
                }
                for (int i = 0; i < outputs.Length; i++)
                {
                    var pb = set.Outputs[proto.Graph.Output.Select(o => o.Name).ToList().IndexOf(outputs[i].Name)];
                    var stored = (DataType)pb.DataType;
                    var declared = (DataType)(proto.Graph.Output.FirstOrDefault(o => o.Name == outputs[i].Name)?.Type?.TensorType?.ElemType ?? 0);
                    if (declared == DataType.BFloat16 && stored == DataType.UInt16)
                    {
                        // ONNX 1.12's bfloat16 tests store the expected bits as uint16: read them as the bfloat16 values they are.
                        var bits = TensorReader.Read(pb);
                        var values = new float[bits.Length];
                        for (int k = 0; k < values.Length; k++) values[k] = BitConverter.UInt32BitsToSingle((uint)bits.GetLong(k) << 16);
                        expected[i] = (Tensor.FromFloats(bits.Shape, values), DataType.BFloat16);
                        continue;
                    }
                    expected[i] = (TensorReader.Read(pb), stored);
                }
            }
            catch (CompileError e)
            {
                result.Refuse("harness", $"{set.Name}: the test data cannot be represented: {e.Message}");
                return null;
            }
            data.Add((set.Name, arrays, expected));
        }

        string Elem(Value v) => DataTypes.CSharp(v.Type);
        var args = inputs.Select((v, i) => $"({Elem(v)}[])i[{i}]").Concat(outputs.Select((v, i) => $"({Elem(v)}[])o[{i}]"));
        var shim = $"namespace {ns} {{ public static class EaiConformanceShim {{ public static void Run(object[] i, object[] o) => global::{ns}.Model.Infer({string.Join(", ", args)}); }} }}";
        return new Prepared
        {
            Result = result, Namespace = ns, Sources = compiled.Output.Sources.ToArray(), Shim = shim, Outputs = outputs, Data = data,
            Folded = dataSets.Select(d => Fold(testCase, proto, modelInputs, d, outputs)).ToList(),
        };
    }

    /// <summary>
    /// The case compiled with every graph input turned into an initializer holding the data set's tensor, so constant
    /// folding (each op's TryEvaluate) computes the outputs at compile time; null unless every output folds.
    /// </summary>
    private static Tensor[]? Fold(TestCase testCase, ModelProto proto, List<string> modelInputs, DataSet set, Value[] outputs)
    {
        if (set.Inputs.Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b)) > Passes.ShapeInference.FoldElementLimit) return null;
        var folded = proto.Clone();
        for (int i = 0; i < modelInputs.Count; i++)
        {
            var t = set.Inputs[i].Clone();
            t.Name = modelInputs[i];
            // ONNX 1.12 stores bfloat16 inputs as their uint16 bits: the same bytes, declared with the model's type.
            if (t.DataType == (int)DataType.UInt16 && proto.Graph.Input.FirstOrDefault(x => x.Name == modelInputs[i])?.Type?.TensorType?.ElemType == (int)DataType.BFloat16)
                t.DataType = (int)DataType.BFloat16;
            folded.Graph.Initializer.Add(t);
        }
        try
        {
            var bytes = Google.Protobuf.MessageExtensions.ToByteArray(folded);
            var options = ModelOptions.Default(testCase.ModelPath) with { DisabledPasses = "" };
            var result = ModelCompiler.CompileDetailed(new ModelRequest(new ModelFile(testCase.ModelPath, new EquatableArray<byte>(bytes), null), options), CancellationToken.None);
            if (result.Graph is not { } graph || result.Output.Diagnostics.Any(d => d.IsError)) return null;
            var constants = outputs.Select(o => graph.Values.TryGetValue(o.Name, out var v) ? v.Constant : null).ToArray();
            return constants.All(c => c is not null) ? constants.Select(c => c!).ToArray() : null;
        }
        catch (Exception)
        {
            return null; // the case's own compile already reports generator failures
        }
    }

    /// <summary>Graph inputs that the value named in an EAI0204 message ("input i ('name', ...") is, or is computed from.</summary>
    private static IEnumerable<string> GraphInputsBehind(GraphProto graph, List<string> modelInputs, string message)
    {
        int at = message.IndexOf("('", StringComparison.Ordinal);
        int end = at < 0 ? -1 : message.IndexOf("',", at + 2, StringComparison.Ordinal);
        if (end < 0) yield break;
        var producers = new Dictionary<string, NodeProto>();
        foreach (var node in graph.Node) foreach (var o in node.Output) producers[o] = node;
        var seen = new HashSet<string>();
        var pending = new Stack<string>();
        pending.Push(message.Substring(at + 2, end - at - 2));
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (!seen.Add(name)) continue;
            if (modelInputs.Contains(name)) yield return name;
            else if (producers.TryGetValue(name, out var node)) foreach (var i in node.Input) if (i.Length > 0) pending.Push(i);
        }
    }

    /// <summary>The ConstantInputs option binding these graph inputs to the first data set's values.</summary>
    private static string ConstantsFromData(List<string> modelInputs, DataSet set, List<string> names) =>
        string.Join(";", names.Select(n =>
        {
            var t = TensorReader.Read(set.Inputs[modelInputs.IndexOf(n)]);
            return n + "=" + string.Join(",", Enumerable.Range(0, t.Length).Select(i => t.GetDouble(i).ToString("R", CultureInfo.InvariantCulture)));
        }));

    private static bool SameValues(DataSet a, DataSet b, int input)
    {
        try
        {
            Tensor x = TensorReader.Read(a.Inputs[input]), y = TensorReader.Read(b.Inputs[input]);
            return x.Type == y.Type && x.Shape.SequenceEqual(y.Shape) && Enumerable.Range(0, x.Length).All(i => x.GetDouble(i).Equals(y.GetDouble(i)));
        }
        catch (CompileError)
        {
            return false;
        }
    }

    /// <summary>Binds input dims the model leaves symbolic to the sizes of the first data set (the Shapes option).</summary>
    private static string ShapesFromData(ModelProto proto, DataSet set)
    {
        var initializers = new HashSet<string>(proto.Graph.Initializer.Select(t => t.Name));
        var inputs = proto.Graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        var bindings = new List<string>();
        for (int i = 0; i < inputs.Count && i < set.Inputs.Length; i++)
        {
            var shape = inputs[i].Type?.TensorType?.Shape;
            bool isStatic = shape is not null && shape.Dim.All(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue);
            if (isStatic || inputs[i].Name.IndexOfAny(new[] { ';', '=' }) >= 0) continue;
            bindings.Add(inputs[i].Name + "=" + string.Join("x", set.Inputs[i].Dims.Select(d => d.ToString(CultureInfo.InvariantCulture))));
        }
        return string.Join(";", bindings);
    }

    private static IEnumerable<string> OpsOf(GraphProto? graph)
    {
        if (graph is null) yield break;
        foreach (var node in graph.Node)
        {
            yield return node.Domain is "" or "ai.onnx" ? node.OpType : node.Domain + ":" + node.OpType;
            foreach (var a in node.Attribute)
            {
                foreach (var op in OpsOf(a.G)) yield return op;
                foreach (var g in a.Graphs) foreach (var op in OpsOf(g)) yield return op;
            }
        }
    }

    private static string Identifier(string text) => new(text.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());

    /// <summary>Compiles a batch; a case whose sources have errors fails and the rest are compiled again (halving when no source is to blame).</summary>
    private static void CompileAndRun(List<Prepared> batch)
    {
        if (batch.Count == 0) return;
        var owner = new Dictionary<SyntaxTree, Prepared>();
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        foreach (var p in batch)
        {
            foreach (var s in p.Sources) owner[CSharpSyntaxTree.ParseText(s.Text, parse, path: p.Namespace + "/" + s.HintName)] = p;
            owner[CSharpSyntaxTree.ParseText(p.Shim, parse, path: p.Namespace + "/Shim.cs")] = p;
        }
        var compilation = GeneratorHarness.BaseCompilation().AddSyntaxTrees(owner.Keys);
        using var ms = new MemoryStream();
        var emit = compilation.Emit(ms);
        var errors = emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (!emit.Success)
        {
            var blamed = errors.Where(d => d.Location.SourceTree is { } t && owner.ContainsKey(t)).GroupBy(d => owner[d.Location.SourceTree!]).ToList();
            if (blamed.Count == 0 && batch.Count > 1)
            {
                CompileAndRun(batch.Take(batch.Count / 2).ToList());
                CompileAndRun(batch.Skip(batch.Count / 2).ToList());
                return;
            }
            if (blamed.Count == 0)
            {
                batch[0].Result.Fail("the generated code does not compile: " + string.Join(" | ", errors.Take(3)));
                return;
            }
            foreach (var g in blamed) g.Key.Result.Fail("the generated code does not compile: " + string.Join(" | ", g.Take(3).Select(Describe)));
            CompileAndRun(batch.Except(blamed.Select(g => g.Key)).ToList());
            return;
        }
        // Warnings break users who build with TreatWarningsAsErrors: the generated code must have none.
        var warned = emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree is { } t && owner.ContainsKey(t))
            .GroupBy(d => owner[d.Location.SourceTree!]).ToDictionary(g => g.Key, g => g.ToList());
        ms.Position = 0;
        var assembly = new AssemblyLoadContext("conformance-" + Guid.NewGuid().ToString("N"), isCollectible: false).LoadFromStream(ms);
        foreach (var p in batch)
        {
            if (warned.TryGetValue(p, out var warnings))
            {
                p.Result.Fail("the generated code has warnings: " + string.Join(" | ", warnings.Take(3).Select(Describe)));
                continue;
            }
            Execute(p, assembly);
        }
    }

    private static string Describe(Diagnostic d) => $"{d.Id} {d.Location.GetLineSpan().Path}({d.Location.GetLineSpan().StartLinePosition.Line + 1}): {d.GetMessage(CultureInfo.InvariantCulture)}";

    private static void Execute(Prepared p, Assembly assembly)
    {
        var run = assembly.GetType(p.Namespace + ".EaiConformanceShim")!.GetMethod("Run")!;
        double maxError = 0;
        foreach (var (name, inputs, expected) in p.Data)
        {
            var outputs = p.Outputs.Select(v => (Array)Array.CreateInstance(CompiledModelRunner.ElementType(DataTypes.CSharp(v.Type)), Shape.ElementsInt(v.RequireShape))).ToArray();
            var task = Task.Run(() => run.Invoke(null, new object[] { inputs, outputs }));
            try
            {
                if (!task.Wait(s_runTimeout))
                {
                    p.Result.Fail($"{name}: Infer did not return within {s_runTimeout.TotalSeconds:0} s");
                    return;
                }
            }
            catch (AggregateException e)
            {
                var inner = e.InnerException is TargetInvocationException { InnerException: { } ti } ? ti : e.InnerException!;
                p.Result.Fail($"{name}: Infer threw {inner.GetType().Name}: {inner.Message}");
                return;
            }
            for (int k = 0; k < outputs.Length; k++)
            {
                var v = p.Outputs[k];
                var mismatch = Compare(expected[k].Tensor, expected[k].Stored, ActualTensor(v, outputs[k]), ref maxError);
                if (mismatch is not null)
                {
                    p.Result.Fail($"{name} output {k} '{v.Name}': {mismatch}");
                    p.Result.MaxError = maxError;
                    return;
                }
            }
        }
        // The same data folded at compile time must give the kernel's numbers.
        for (int d = 0; d < p.Data.Count; d++)
        {
            if (p.Folded[d] is not { } folded) continue;
            var outputs = p.Outputs.Select(v => (Array)Array.CreateInstance(CompiledModelRunner.ElementType(DataTypes.CSharp(v.Type)), Shape.ElementsInt(v.RequireShape))).ToArray();
            run.Invoke(null, new object[] { p.Data[d].Inputs, outputs });
            double foldError = 0;
            for (int k = 0; k < outputs.Length; k++)
            {
                var v = p.Outputs[k];
                var mismatch = Compare(folded[k], folded[k].Type, ActualTensor(v, outputs[k]), ref foldError, FoldRtol, FoldAtol);
                if (mismatch is not null)
                {
                    p.Result.Fail($"{p.Data[d].Name} output {k} '{v.Name}': constant folding and the kernel disagree: {mismatch}");
                    return;
                }
            }
            p.Result.FoldChecked = true;
        }
        p.Result.Status = CaseStatus.Passed;
        p.Result.MaxError = maxError;
    }

    /// <summary>An output array as a tensor; float16 (System.Half) and bfloat16 (ushort bits) outputs as the float values they hold.</summary>
    private static Tensor ActualTensor(Value v, Array data) => v.Type switch
    {
        DataType.Float16 => Tensor.FromFloats(v.RequireShape, ((Half[])data).Select(h => (float)h).ToArray()),
        DataType.BFloat16 => Tensor.FromFloats(v.RequireShape, ((ushort[])data).Select(b => BitConverter.UInt32BitsToSingle((uint)b << 16)).ToArray()),
        _ => new Tensor(v.Type, v.RequireShape, data),
    };

    /// <summary>
    /// bfloat16 has 8 significant bits, and ONNX 1.12's bfloat16 expectations were made by truncating where ONNX
    /// Runtime (and this compiler) round to nearest: bfloat16 results may differ by one unit in the last place (2^-7 relative).
    /// </summary>
    public const double BFloat16Rtol = 1.0 / 128;

    /// <summary>Null when the actual output matches; otherwise what differs (type, shape, or the first elements out of tolerance).</summary>
    internal static string? Compare(Tensor expected, DataType expectedType, Tensor actual, ref double maxError, double rtol = Rtol, double atol = Atol)
    {
        // Generated code holds float16/bfloat16 in float (TensorReader widens the expected values the same way).
        bool widened = expectedType is DataType.Float16 or DataType.BFloat16 && actual.Type == DataType.Float;
        if (expectedType != actual.Type && !widened) return $"element type {DataTypes.Name(actual.Type)}, expected {DataTypes.Name(expectedType)}";
        if (!expected.Shape.SequenceEqual(actual.Shape)) return $"shape {Shape.Format(actual.Shape)}, expected {Shape.Format(expected.Shape)}";
        var bad = new List<string>();
        int badCount = 0;
        bool isFloat = DataTypes.IsFloat(actual.Type);
        for (int i = 0; i < expected.Length; i++)
        {
            bool ok;
            string a, e;
            if (isFloat)
            {
                double x = actual.GetDouble(i), y = expected.GetDouble(i);
                if (double.IsNaN(y)) ok = double.IsNaN(x);
                else if (double.IsInfinity(y)) ok = x == y;
                else
                {
                    double err = Math.Abs(x - y);
                    if (!double.IsNaN(err)) maxError = Math.Max(maxError, err);
                    ok = err <= atol + (expectedType == DataType.BFloat16 ? Math.Max(rtol, BFloat16Rtol) : rtol) * Math.Abs(y);
                }
                a = x.ToString("R", CultureInfo.InvariantCulture);
                e = y.ToString("R", CultureInfo.InvariantCulture);
            }
            else if (actual.Type == DataType.UInt64)
            {
                ulong x = ((ulong[])actual.Data)[i], y = unchecked((ulong)expected.GetLong(i));
                ok = x == y;
                a = x.ToString(CultureInfo.InvariantCulture);
                e = y.ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                long x = actual.GetLong(i), y = expected.GetLong(i);
                ok = x == y;
                if (!ok) maxError = Math.Max(maxError, Math.Abs((double)x - y));
                a = x.ToString(CultureInfo.InvariantCulture);
                e = y.ToString(CultureInfo.InvariantCulture);
            }
            if (!ok && badCount++ < 3) bad.Add($"[{i}] {a} vs {e}");
        }
        return badCount == 0 ? null : $"{badCount} of {expected.Length} elements out of tolerance (max abs error {maxError.ToString("G4", CultureInfo.InvariantCulture)}): {string.Join(", ", bad)}";
    }
}
