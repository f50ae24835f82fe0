using System.IO;
using System.Linq;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>The kernel self-check that NativeAOT binaries run on arm64 (under qemu in CI) and on boards.</summary>
public class KernelSelfCheckTests
{
    [Fact]
    public void EveryPathOfThisMachineIsExact()
    {
        var log = new StringWriter();
        Assert.Equal(0, KernelSelfCheck.Run(log));
        var lines = log.ToString().Split('\n');
        var paths = new[] { Int8Gemm.Path.Scalar, Int8Gemm.Path.Avx2, Int8Gemm.Path.Avx512, Int8Gemm.Path.AvxVnni, Int8Gemm.Path.ArmDot, Int8Gemm.Path.ArmSimd };
        foreach (var path in paths.Where(Int8Gemm.IsSupported))
        {
            Assert.Contains(lines, l => l.StartsWith($"kernel-check: Int8PanelGemm {path}: 14 cases exact"));
            Assert.Contains(lines, l => l.StartsWith($"kernel-check: Int8Gemm {path}: 24 cases exact"));
        }
        Assert.Contains(lines, l => l.StartsWith($"kernel-check: default int8 paths: Int8PanelGemm {Int8PanelGemm.Best}, Int8Gemm {Int8Gemm.Best};"));
        Assert.Contains(lines, l => l.StartsWith("kernel-check: Simd128: 448 cases exact"));
        Assert.Contains(lines, l => l.StartsWith("kernel-check: all exact"));
    }

    [Fact]
    public void AWrongResultIsReported()
    {
        // One corrupted result per kernel check (and per Simd check round): each is caught and named.
        var log = new StringWriter();
        int failures = KernelSelfCheck.Run(log, injectFault: true);
        var lines = log.ToString().Split('\n');
        int wrongLines = lines.Count(l => l.Contains(" WRONG, first: "));
        int checks = lines.Count(l => l.StartsWith("kernel-check: Int8") || l.StartsWith("kernel-check: Simd"));
        Assert.True(checks >= 3 && wrongLines == checks, log.ToString());
        Assert.True(failures >= checks);
        Assert.Contains(lines, l => l.StartsWith("kernel-check: FAILED"));
    }
}
