using System;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace EfficientAI.Runtime.Tests;

/// <summary>The worker pool: every index runs exactly once, concurrent callers stay correct, and a call allocates nothing.</summary>
public unsafe class WorkersTests
{
    private struct Counts
    {
        public int* Hits;
        public int* ByParticipant;
    }

    private static void Count(void* state, int index, int participant)
    {
        ref Counts c = ref *(Counts*)state;
        System.Threading.Interlocked.Increment(ref c.Hits[index]);
        System.Threading.Interlocked.Increment(ref c.ByParticipant[participant]);
        System.Threading.Thread.SpinWait(2000); // long enough that a worker gets some of the indices
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 1)]
    [InlineData(2, 97)]
    [InlineData(4, 200)]
    public void EveryIndexRunsOnce_OnParticipantsBelowThreads(int threads, int count)
    {
        var hits = new int[count];
        var byParticipant = new int[8];
        fixed (int* h = hits, p = byParticipant)
        {
            var state = new Counts { Hits = h, ByParticipant = p };
            Workers.For(threads, count, &Count, &state);
        }
        Assert.All(hits, n => Assert.Equal(1, n));
        Assert.Equal(count, byParticipant.Sum());
        Assert.All(byParticipant.Skip(threads), n => Assert.Equal(0, n));
    }

    private static void CountQuick(void* state, int index, int participant)
    {
        ref Counts c = ref *(Counts*)state;
        System.Threading.Interlocked.Increment(ref c.Hits[index]);
        System.Threading.Interlocked.Increment(ref c.ByParticipant[participant]);
    }

    [Fact]
    public void BackToBackLoopsEachRunEveryIndexOnce()
    {
        // Short loops one after another: a worker may wake after the caller has done every index and returned (it must
        // then leave that loop alone), or join the next loop; each loop's state is reused by the next.
        var byParticipant = new int[8];
        var hits = stackalloc int[6];
        for (int rep = 0; rep < 3000; rep++)
        {
            int count = 2 + rep % 5;
            for (int i = 0; i < count; i++) hits[i] = 0;
            fixed (int* p = byParticipant)
            {
                var state = new Counts { Hits = hits, ByParticipant = p };
                Workers.For(2, count, &CountQuick, &state);
            }
            for (int i = 0; i < count; i++) Assert.Equal(1, hits[i]);
        }
        Assert.All(byParticipant.Skip(2), n => Assert.Equal(0, n));
    }

    [Fact]
    public void ConcurrentConvsMatchTheSerialResult()
    {
        var rng = new Random(5);
        const int c = 8, m = 16, h = 24, w = 24;
        var x = TestUtil.RandomArray(rng, c * h * w);
        var weight = TestUtil.RandomArray(rng, m * c * 9);
        var serial = new float[m * h * w];
        long perThread = Conv.ScratchFloats(c, m, 3, 3, h, w, 1);
        Conv.Conv2D(x, weight, default, serial, 1, c, h, w, m, 3, 3, h, w, 1, 1, 1, 1, 1, 1, 1, new float[perThread], Activation.None);
        // Four callers share one pool of two: whoever finds it busy runs alone; every result must equal the serial one.
        var results = Enumerable.Range(0, 4).Select(_ => new float[serial.Length]).ToArray();
        Parallel.For(0, 4, i =>
        {
            var scratch = new float[perThread * 2];
            for (int rep = 0; rep < 20; rep++)
                Conv.Conv2D(x, weight, default, results[i], 1, c, h, w, m, 3, 3, h, w, 1, 1, 1, 1, 1, 1, 1, scratch, Activation.None, threads: 2);
        });
        foreach (var r in results) Assert.Equal(serial, r);
    }

    [Theory]
    [InlineData(20, 20, 64, 96, 0)] // 400 pixels: 384 read in place, cut into chunks for the threads, 16 packed
    [InlineData(7, 7, 32, 48, 0)]
    [InlineData(40, 40, 16, 24, 2)] // a stride-2 1x1 Conv (one phase plane read in place)
    public void ASharedPointwiseConvMatchesTheSerialResult(int h, int w, int c, int m, int strideCase)
    {
        var rng = new Random(7);
        int stride = strideCase == 0 ? 1 : 2, oH = (h - 1) / stride + 1, oW = (w - 1) / stride + 1;
        var x = TestUtil.RandomArray(rng, c * h * w);
        var weight = TestUtil.RandomArray(rng, m * c);
        var bias = TestUtil.RandomArray(rng, m);
        long perThread = Conv.ScratchFloats(c, m, 1, 1, oH, oW, 1) + Conv.StridePhaseFloats(c, h, w, 1, 1, oW, stride, stride, 0, 0, 1, 1);
        var serial = new float[m * oH * oW];
        Conv.Conv2D(x, weight, bias, serial, 1, c, h, w, m, 1, 1, oH, oW, stride, stride, 0, 0, 1, 1, 1, new float[perThread], Activation.Relu);
        var shared = new float[serial.Length];
        Conv.Conv2D(x, weight, bias, shared, 1, c, h, w, m, 1, 1, oH, oW, stride, stride, 0, 0, 1, 1, 1, new float[perThread * 2], Activation.Relu, threads: 2);
        Assert.Equal(serial, shared);
        Assert.Contains(serial, v => v > 0);
    }

    [Fact]
    public void ASharedConvAllocatesNothing()
    {
        var rng = new Random(6);
        const int c = 8, m = 16, h = 20, w = 20;
        var x = TestUtil.RandomArray(rng, c * h * w);
        var weight = TestUtil.RandomArray(rng, m * c * 9);
        var dw = TestUtil.RandomArray(rng, c * 25);
        var y = new float[m * h * w];
        var scratch = new float[Math.Max(Conv.ScratchFloats(c, m, 3, 3, h, w, 1), Conv.DepthwiseScratchFloats(5, 5, h, w, 1, 1, 1, 1)) * 2];
        void Run()
        {
            Conv.Conv2D(x, weight, default, y, 1, c, h, w, m, 3, 3, h, w, 1, 1, 1, 1, 1, 1, 1, scratch, Activation.Relu, threads: 2);
            Conv.Conv2D(x, dw, default, y, 1, c, h, w, c, 5, 5, h, w, 1, 1, 2, 2, 1, 1, c, scratch, Activation.None, threads: 2);
        }
        for (int i = 0; i < 20; i++) Run(); // the pool's threads start on first use
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
