// A fixed set of worker threads for the Threads option: created once per process on first use, then every parallel
// loop is a counter the caller and the workers take indices from, with no allocation per call. One loop runs at a
// time; a caller that finds the pool busy (another thread's inference) runs its loop alone, so concurrent Infer
// calls stay correct and each uses its own core.
using System;
using System.Threading;

namespace EfficientAI.Runtime;

/// <summary>Parallel loops on a process-wide pool of worker threads.</summary>
public static unsafe class Workers
{
    private static readonly object s_gate = new();
    private static Pool? s_pool;

    /// <summary>
    /// Runs body(state, index, participant) for every index in [0, count) on the calling thread and up to
    /// threads - 1 workers; participant (0 .. threads-1) tells the body which slice of per-participant scratch is
    /// its own. Returns when every index has run. With threads &lt;= 1, count &lt;= 1 or the pool busy, the caller
    /// runs them all as participant 0.
    /// </summary>
    public static void For(int threads, int count, delegate*<void*, int, int, void> body, void* state)
    {
        if (threads <= 1 || count <= 1 || !Monitor.TryEnter(s_gate))
        {
            for (int i = 0; i < count; i++) body(state, i, 0);
            return;
        }
        try
        {
            var pool = s_pool is { } p && p.Size >= threads - 1 ? p : (s_pool = new Pool(Math.Max(threads - 1, s_pool?.Size ?? 0)));
            pool.Run(Math.Min(threads - 1, count - 1), count, body, state);
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    private sealed class Pool
    {
        private readonly Signal[] _start;
        private readonly Signal _done = new();
        private delegate*<void*, int, int, void> _body;
        private void* _state;
        private int _count, _next, _active, _helpers;

        public Pool(int size)
        {
            _start = new Signal[size];
            for (int i = 0; i < size; i++)
            {
                _start[i] = new Signal();
                int participant = i + 1;
                new Thread(() => Work(participant)) { IsBackground = true, Name = "EfficientAI worker " + participant }.Start();
            }
        }

        public int Size => _start.Length;

        public void Run(int helpers, int count, delegate*<void*, int, int, void> body, void* state)
        {
            _body = body;
            _state = state;
            _count = count;
            _next = 0;
            _helpers = helpers;
            _active = helpers;
            for (int i = 0; i < helpers; i++) _start[i].Set();
            Take(0);
            _done.Wait();
        }

        private void Take(int participant)
        {
            for (int i; (i = Interlocked.Increment(ref _next) - 1) < _count;) _body(_state, i, participant);
        }

        private void Work(int participant)
        {
            var start = _start[participant - 1];
            while (true)
            {
                start.Wait();
                Take(participant);
                if (Interlocked.Decrement(ref _active) == 0) _done.Set();
            }
        }
    }

    /// <summary>
    /// An auto-reset event: Wait spins briefly (the next loop of an inference usually comes within microseconds), then
    /// blocks on a monitor. Its lock object exists from the start, so no call allocates (ManualResetEventSlim creates
    /// its lock on the first Set that finds a waiter, which a zero-allocation test caught).
    /// </summary>
    private sealed class Signal
    {
        private const int SpinIterations = 2000;
        private readonly object _lock = new();
        private bool _set;

        public void Set()
        {
            lock (_lock)
            {
                _set = true;
                Monitor.Pulse(_lock);
            }
        }

        public void Wait()
        {
            for (int i = 0; i < SpinIterations && !Volatile.Read(ref _set); i++) Thread.SpinWait(10);
            lock (_lock)
            {
                while (!_set) Monitor.Wait(_lock);
                _set = false;
            }
        }
    }
}
