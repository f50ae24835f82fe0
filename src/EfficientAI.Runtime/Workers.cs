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
        // The open loop's generation (high 32 bits), a closed flag and how many workers are inside it. A worker joins
        // only an open loop of the current generation (one compare-exchange); the caller closes the loop once it finds
        // no index left and then waits only for the workers inside, never for one that has not woken yet: on a loaded
        // machine a descheduled worker would otherwise hold every call for a scheduler time slice (milliseconds).
        private const long Closed = 1L << 31, InsideMask = Closed - 1;
        private readonly Signal[] _start;
        private readonly Signal _done = new();
        private delegate*<void*, int, int, void> _body;
        private void* _state;
        private int _count, _next;
        private long _loop, _generation;

        public Pool(int size)
        {
            _loop = Closed;
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
            // Publishes the fields above (an interlocked write is a full fence) and opens the loop.
            Interlocked.Exchange(ref _loop, ++_generation << 32);
            for (int i = 0; i < helpers; i++) _start[i].Set();
            Take(0);
            long loop = Interlocked.Add(ref _loop, Closed);
            if ((loop & InsideMask) != 0) _done.Wait(); // the last worker out sets it
        }

        private void Take(int participant)
        {
            for (int i; (i = Interlocked.Increment(ref _next) - 1) < _count;) _body(_state, i, participant);
        }

        private bool Join()
        {
            while (true)
            {
                long loop = Volatile.Read(ref _loop);
                if ((loop & Closed) != 0) return false;
                if (Interlocked.CompareExchange(ref _loop, loop + 1, loop) == loop) return true;
            }
        }

        private void Work(int participant)
        {
            var start = _start[participant - 1];
            while (true)
            {
                start.Wait();
                if (!Join()) continue; // the loop was closed (the caller did every index): its state may be gone
                Take(participant);
                long left = Interlocked.Decrement(ref _loop);
                if ((left & Closed) != 0 && (left & InsideMask) == 0) _done.Set();
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
