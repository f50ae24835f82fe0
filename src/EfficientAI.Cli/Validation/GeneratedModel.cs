using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Text;
using EfficientAI.Codegen.Ir;
using EfficientAI.Codegen.Model;

namespace EfficientAI.Cli.Validation;

/// <summary>
/// The generated sources compiled in memory with Roslyn (as a Release build would) and loaded, with a small shim
/// compiled beside them that calls Infer with arrays and times it without reflection in the loop.
/// </summary>
internal sealed class GeneratedModel
{
    private const string ShimName = "EaiValidateShim";
    /// <summary>The static class the generated code calls Mark(i) on when compiled for profiling.</summary>
    public const string ProfilerName = "global::EaiNodeProfiler";

    private readonly MethodInfo _run, _time;
    private readonly MethodInfo? _profile;
    private readonly (DataType Type, int Length)[] _outputs;
    private readonly DataType[] _inputTypes;

    private GeneratedModel(Type shim, DataType[] inputTypes, (DataType, int)[] outputs)
    {
        _inputTypes = inputTypes;
        _run = shim.GetMethod("Run")!;
        _time = shim.GetMethod("Time")!;
        _profile = shim.GetMethod("Profile");
        _outputs = outputs;
    }

    /// <summary>
    /// Compiles and loads; throws <see cref="CliException"/> (internal error) when the generated code does not compile.
    /// profiledNodes: the nodes the sources mark when compiled with <see cref="ProfilerName"/> (0: not profiled).
    /// </summary>
    public static GeneratedModel Load(IEnumerable<GeneratedSource> sources, string className, IReadOnlyList<DataType> inputTypes, IReadOnlyList<(DataType Type, int Length)> outputs,
        int profiledNodes = 0)
    {
        var fq = "global::" + className;
        string Cast(DataType t, string array, int i) => $"({DataTypes.CSharp(t)}[]){array}[{i}]";
        var args = string.Join(", ", inputTypes.Select((t, i) => Cast(t, "inputs", i)).Concat(outputs.Select((o, i) => Cast(o.Type, "outputs", i))));
        var locals = new StringBuilder();
        for (int i = 0; i < inputTypes.Count; i++) locals.Append($"var i{i} = {Cast(inputTypes[i], "inputs", i)}; ");
        for (int i = 0; i < outputs.Count; i++) locals.Append($"var o{i} = {Cast(outputs[i].Type, "outputs", i)}; ");
        var spanArgs = string.Join(", ", inputTypes.Select((_, i) => $"i{i}").Concat(outputs.Select((_, i) => $"o{i}")));
        var shim = $$"""
            public static class {{ShimName}}
            {
                public static void Run(object[] inputs, object[] outputs) => {{fq}}.Infer({{args}});
                public static double[] Time(object[] inputs, object[] outputs, int runs)
                {
                    {{locals}}
                    var times = new double[runs];
                    for (int n = 0; n < runs; n++)
                    {
                        long start = global::System.Diagnostics.Stopwatch.GetTimestamp();
                        {{fq}}.Infer({{spanArgs}});
                        times[n] = global::System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    }
                    return times;
                }
            {{(profiledNodes > 0 ? ProfileMethod(fq, locals.ToString(), spanArgs, profiledNodes) : "")}}
            }
            """;
        var assembly = InMemoryAssembly.CompileAndLoad("EaiValidate_", sources, shim, out var errors)
            ?? throw new CliException(ExitCodes.InternalError, "the generated code does not compile (a compiler bug: please report it with the model):\n  " + errors);
        return new GeneratedModel(assembly.GetType(ShimName)!, inputTypes.ToArray(), outputs.ToArray());
    }

    // Per node, the fastest of all runs: the minimum is what a node costs when nothing else interferes.
    private static string ProfileMethod(string fq, string locals, string spanArgs, int nodes) => $$"""
                public static double[] Profile(object[] inputs, object[] outputs, int runs)
                {
                    {{locals}}
                    var best = new double[{{nodes}}];
                    global::System.Array.Fill(best, double.PositiveInfinity);
                    var stamps = global::EaiNodeProfiler.Stamps;
                    for (int n = 0; n < runs; n++)
                    {
                        global::System.Array.Clear(stamps);
                        {{fq}}.Infer({{spanArgs}});
                        for (int i = 0; i < {{nodes}}; i++)
                        {
                            if (stamps[i] == 0) continue; // a branch that did not run
                            int next = i + 1;
                            while (stamps[next] == 0) next++;
                            best[i] = global::System.Math.Min(best[i], (stamps[next] - stamps[i]) * 1e6 / global::System.Diagnostics.Stopwatch.Frequency);
                        }
                    }
                    for (int i = 0; i < {{nodes}}; i++) if (double.IsPositiveInfinity(best[i])) best[i] = 0;
                    return best;
                }
            }
            public static class EaiNodeProfiler
            {
                public static readonly long[] Stamps = new long[{{nodes + 1}}];
                public static void Mark(int i) => Stamps[i] = global::System.Diagnostics.Stopwatch.GetTimestamp();
            """;

    /// <summary>Microseconds per node (in the order of its Mark calls): the minimum over the runs; 0 for nodes that never ran.</summary>
    public double[] Profile(Array[] inputs, int runs) =>
        (double[])Invoke(_profile ?? throw new InvalidOperationException("not compiled for profiling"), new object[] { Generated(inputs), NewOutputs(), runs })!;

    /// <summary>Output arrays of the types Infer takes (Half[] for float16, ushort[] for bfloat16).</summary>
    private Array[] NewOutputs() => _outputs.Select(o => o.Type switch
    {
        DataType.Float16 => new Half[o.Length],
        DataType.BFloat16 => new ushort[o.Length],
        _ => Codegen.Ir.Tensor.Create(o.Type, new[] { o.Length }).Data,
    }).ToArray();

    /// <summary>Inputs as held in TensorData (float[] for the half types) converted to what Infer takes.</summary>
    private object[] Generated(Array[] inputs) => inputs.Select((a, i) => (object)HalfArrays.ToGenerated(_inputTypes[i], a)).ToArray();

    /// <summary>Runs once; outputs as TensorData holds them (float[] for the half types).</summary>
    public Array[] Run(Array[] inputs)
    {
        var outputs = NewOutputs();
        Invoke(_run, new object[] { Generated(inputs), outputs });
        return outputs.Select((a, i) => _outputs[i].Type == DataType.BFloat16 ? HalfArrays.FromGeneratedBFloat16((ushort[])a) : HalfArrays.FromGenerated(a)).ToArray();
    }

    /// <summary>Milliseconds per call, one entry per run.</summary>
    public double[] Time(Array[] inputs, int runs) => (double[])Invoke(_time, new object[] { Generated(inputs), NewOutputs(), runs })!;

    private static object? Invoke(MethodInfo m, object[] args)
    {
        try { return m.Invoke(null, args); }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
