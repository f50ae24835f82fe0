using System.IO;
using System.Linq;
using EfficientAI.Codegen.Tests.Infrastructure;
using Xunit;

namespace EfficientAI.Cli.Tests;

/// <summary>validate on a small model: random inputs, .npy files, ONNX test data (a correct and a corrupted expected output), JSON, exit codes.</summary>
public class ValidateTests
{
    private static readonly float[] s_input = { 0.5f, -1.25f, 2f, 0.75f };

    [Fact]
    public void RandomInputs_Pass_WithErrorsAndLatency()
    {
        var r = Eai.Run("validate", TestModels.Mlp(), "--runs", "3");
        Assert.Equal(0, r.Exit);
        Assert.Contains("random inputs (seed 1):", r.Out);
        Assert.Contains("output 'y' float [1,3]", r.Out);
        Assert.Contains("vs ONNX Runtime: max abs ", r.Out);
        Assert.Contains("latency (median of 3): generated ", r.Out);
        Assert.Contains("PASS: 1 output within tolerance", r.Out);
    }

    [Theory]
    [InlineData(10)] // float16: Half[] in the generated code, Float16 in ONNX Runtime
    [InlineData(16)] // bfloat16: ushort bits, BFloat16
    public void HalfPrecisionInputsAndOutputs_AreBuiltAndCompared(int elemType)
    {
        // Casts only: ONNX Runtime's CPU provider has few bfloat16 kernels.
        var model = new OnnxBuilder(13).Input("x", elemType, (object)2, (object)5).Node("Cast", new[] { "x" }, new[] { "f" }, A.Int("to", 1))
            .Node("Relu", "f", "y").Node("Cast", new[] { "y" }, new[] { "z" }, A.Int("to", elemType)).Output("y").Output("z", elemType).Build();
        var r = Eai.Run("validate", Eai.WriteFile(model, $"half{elemType}.onnx"), "--runs", "2");
        Assert.Equal(0, r.Exit);
        Assert.Contains("PASS: 2 outputs within tolerance", r.Out);
    }

    [Fact]
    public void Json_IsOneObject_ThatParsesBack()
    {
        var r = Eai.Run("validate", TestModels.Mlp(), "--json", "--runs", "2", "--seed", "7");
        Assert.Equal(0, r.Exit);
        var json = r.Json();
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal(0, json.GetProperty("exitCode").GetInt32());
        Assert.Equal("tiny_mlp.onnx", json.GetProperty("model").GetString());
        var c = json.GetProperty("cases")[0];
        Assert.Equal("random inputs (seed 7)", c.GetProperty("source").GetString());
        var output = c.GetProperty("outputs")[0];
        Assert.Equal("y", output.GetProperty("name").GetString());
        var vsOrt = output.GetProperty("vsOnnxRuntime");
        Assert.True(vsOrt.GetProperty("withinTolerance").GetBoolean());
        Assert.True(vsOrt.GetProperty("maxAbsError").GetDouble() <= 1e-6);
        Assert.True(vsOrt.GetProperty("cosine").GetDouble() > 0.999999);
        Assert.Equal(3, vsOrt.GetProperty("elements").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, output.GetProperty("vsExpected").ValueKind);
        var latency = json.GetProperty("latency");
        Assert.Equal(2, latency.GetProperty("runs").GetInt32());
        Assert.True(latency.GetProperty("generatedMs").GetDouble() > 0);
        Assert.True(latency.GetProperty("onnxRuntimeMs").GetDouble() > 0);
    }

    [Fact]
    public void RandomInputs_AreNeverAllZero()
    {
        var t = Commands.ValidateCommand.RandomTensor("x", Codegen.Ir.DataType.Int64, new[] { 1 }, seed: 0);
        Assert.NotEqual(0L, ((long[])t.Data)[0]);
        var f = (float[])Commands.ValidateCommand.RandomTensor("x", Codegen.Ir.DataType.Float, new[] { 64 }, seed: 3).Data;
        Assert.Contains(f, v => v != 0);
        Assert.All(f, v => Assert.InRange(v, -1f, 1f));
    }

    [Fact]
    public void NpyInputs_ByPositionAndByName()
    {
        var dir = Eai.NewDir("npy");
        var npy = TestModels.Npy(Path.Combine(dir, "x.npy"), s_input, 1, 4);
        var byPosition = Eai.Run("validate", TestModels.Mlp(), "--inputs", npy, "--runs", "0");
        Assert.Equal(0, byPosition.Exit);
        Assert.Contains("files x.npy:", byPosition.Out);
        Assert.Equal(0, Eai.Run("validate", TestModels.Mlp(), "--inputs", "x=" + npy, "--runs", "0").Exit);

        var wrongCount = TestModels.Npy(Path.Combine(dir, "five.npy"), new float[] { 1, 2, 3, 4, 5 }, 5);
        var r = Eai.Run("validate", TestModels.Mlp(), "--inputs", wrongCount, "--runs", "0");
        Assert.Equal(ExitCodes.UsageError, r.Exit);
        Assert.Contains("input 'x' has shape [5]", r.Err);
        Assert.Equal(ExitCodes.UsageError, Eai.Run("validate", TestModels.Mlp(), "--inputs", "nope=" + npy, "--runs", "0").Exit);
        File.WriteAllText(Path.Combine(dir, "garbage.npy"), "not numpy");
        Assert.Equal(ExitCodes.UsageError, Eai.Run("validate", TestModels.Mlp(), "--inputs", Path.Combine(dir, "garbage.npy"), "--runs", "0").Exit);
    }

    [Fact]
    public void TestData_ChecksExpectedOutputs_AndCatchesACorruptedOne()
    {
        var root = Eai.NewDir("testdata");
        var expected = TestModels.MlpReference(s_input);
        Assert.Contains(expected, v => v != 0);
        TestModels.TestDataSet(root, 0, s_input, expected);
        TestModels.TestDataSet(root, 1, s_input.Select(v => -v).ToArray(), TestModels.MlpReference(s_input.Select(v => -v).ToArray()));

        var good = Eai.Run("validate", TestModels.Mlp(), "--test-data", root, "--json", "--runs", "0");
        Assert.Equal(0, good.Exit);
        var cases = good.Json().GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(new[] { "test_data_set_0", "test_data_set_1" }, cases.Select(c => c.GetProperty("source").GetString()));
        Assert.All(cases, c => Assert.True(c.GetProperty("outputs")[0].GetProperty("vsExpected").GetProperty("withinTolerance").GetBoolean()));

        // Corrupt one expected value of set 1: ONNX Runtime still agrees with the generated code, the expected output does not.
        var corrupted = TestModels.MlpReference(s_input.Select(v => -v).ToArray());
        corrupted[1] += 0.5f;
        TestModels.TestDataSet(root, 1, s_input.Select(v => -v).ToArray(), corrupted);
        var bad = Eai.Run("validate", TestModels.Mlp(), "--test-data", root, "--json", "--runs", "0");
        Assert.Equal(ExitCodes.OutOfTolerance, bad.Exit);
        var json = bad.Json();
        Assert.False(json.GetProperty("ok").GetBoolean());
        Assert.Equal(1, json.GetProperty("exitCode").GetInt32());
        var set1 = json.GetProperty("cases")[1].GetProperty("outputs")[0];
        Assert.True(set1.GetProperty("vsOnnxRuntime").GetProperty("withinTolerance").GetBoolean());
        var vsExpected = set1.GetProperty("vsExpected");
        Assert.False(vsExpected.GetProperty("withinTolerance").GetBoolean());
        Assert.Equal(1, vsExpected.GetProperty("mismatches").GetInt64());
        Assert.Equal(0.5, vsExpected.GetProperty("maxAbsError").GetDouble(), 5);

        var text = Eai.Run("validate", TestModels.Mlp(), "--test-data", Path.Combine(root, "test_data_set_1"), "--runs", "0");
        Assert.Equal(ExitCodes.OutOfTolerance, text.Exit);
        Assert.Contains("vs expected:     max abs 0.5", text.Out);
        Assert.Contains("FAIL: 1 of 1 outputs outside tolerance", text.Out);
    }

    [Fact]
    public void Tolerance_DecidesTheExitCode()
    {
        var root = Eai.NewDir("tolerance");
        var expected = TestModels.MlpReference(s_input);
        expected[0] += 1e-3f;
        TestModels.TestDataSet(root, 0, s_input, expected);
        Assert.Equal(ExitCodes.OutOfTolerance, Eai.Run("validate", TestModels.Mlp(), "--test-data", root, "--runs", "0").Exit);
        Assert.Equal(0, Eai.Run("validate", TestModels.Mlp(), "--test-data", root, "--runs", "0", "--atol", "1e-2").Exit);
    }

    [Fact]
    public void CompileFailure_Exit2_WithDiagnostics_AlsoAsJson()
    {
        var r = Eai.Run("validate", TestModels.Symbolic(), "--json");
        Assert.Equal(ExitCodes.ModelError, r.Exit);
        Assert.StartsWith("error EAI0201:", r.Err);
        var json = r.Json();
        Assert.False(json.GetProperty("ok").GetBoolean());
        Assert.Equal("EAI0201", json.GetProperty("diagnostics")[0].GetProperty("id").GetString());
        Assert.Equal(0, Eai.Run("validate", TestModels.Symbolic(), "--dims", "batch=2", "--runs", "0").Exit);
    }

    [Fact]
    public void DataErrors_Exit3()
    {
        Assert.Equal(ExitCodes.UsageError, Eai.Run("validate", TestModels.Mlp(), "--test-data", Path.Combine(Eai.TempDir, "missing")).Exit);
        Assert.Equal(ExitCodes.UsageError, Eai.Run("validate", TestModels.Mlp(), "--test-data", Eai.NewDir("empty")).Exit);
        Assert.Equal(ExitCodes.UsageError, Eai.Run("validate", TestModels.Mlp(), "--test-data", "x", "--inputs", "y.npy").Exit);
        Assert.Equal(ExitCodes.UsageError, Eai.Run("validate", TestModels.Mlp(), "--rtol", "-1").Exit);
    }
}
