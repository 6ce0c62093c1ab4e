using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace ActorGateway.Benchmarks;

/// <summary>Wall clock in <see cref="Stopwatch"/> ticks.</summary>
public static class Clock
{
    public static long Now => Stopwatch.GetTimestamp();

    public static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;

    public static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}

/// <summary>Process CPU, GC and machine-wide CPU at one moment; the difference of two is a <see cref="ResourceUsage"/>.</summary>
public readonly record struct ResourceSnapshot(
    long Timestamp, TimeSpan User, TimeSpan Sys, int Gen0, int Gen1, int Gen2, TimeSpan GcPause, long Allocated, MachineCpu Machine)
{
    public static ResourceSnapshot Take()
    {
        using var p = Process.GetCurrentProcess();
        return new ResourceSnapshot(Clock.Now, p.UserProcessorTime, p.PrivilegedProcessorTime,
            GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(),
            GC.GetTotalAllocatedBytes(false), MachineCpu.Read());
    }

    public ResourceUsage Until(ResourceSnapshot end, int messages)
    {
        var wall = Clock.Seconds(Timestamp, end.Timestamp);
        var user = (end.User - User).TotalSeconds;
        var sys = (end.Sys - Sys).TotalSeconds;
        var machine = Machine.Until(end.Machine);
        return new ResourceUsage(wall, user, sys, messages, end.Gen0 - Gen0, end.Gen1 - Gen1, end.Gen2 - Gen2,
            (end.GcPause - GcPause).TotalMilliseconds, end.Allocated - Allocated, machine);
    }
}

/// <summary>Where the time went during a timed phase: this process's CPU against wall time and against the machine.</summary>
public sealed record ResourceUsage(
    double WallS, double UserS, double SysS, int Messages, int Gen0, int Gen1, int Gen2, double GcPauseMs, long AllocatedBytes, MachineCpuUsage Machine)
{
    public double CpuS => UserS + SysS;

    /// <summary>Share of the whole machine (all cores) this process used.</summary>
    public double ProcessCpuPctOfMachine => WallS > 0 ? 100 * CpuS / (WallS * Environment.ProcessorCount) : 0;

    public double CpuMsPerMessage => Messages > 0 ? 1000 * CpuS / Messages : 0;

    public Dictionary<string, object?> ToJson() => new()
    {
        ["wall_s"] = R(WallS, 3),
        ["cpu_user_s"] = R(UserS, 3),
        ["cpu_sys_s"] = R(SysS, 3),
        ["cpu_ms_per_message"] = R(CpuMsPerMessage, 3),
        ["process_cpu_pct_of_machine"] = R(ProcessCpuPctOfMachine, 1),
        ["machine_busy_pct"] = R(Machine.BusyPct, 1),
        ["machine_iowait_pct"] = R(Machine.IoWaitPct, 1),
        ["other_processes_cpu_pct_of_machine"] = R(OthersPct, 1),
        ["noisy"] = OthersPct > NoisyOthersPct,
        ["gc_gen0"] = Gen0,
        ["gc_gen1"] = Gen1,
        ["gc_gen2"] = Gen2,
        ["gc_pause_ms"] = R(GcPauseMs, 1),
        ["allocated_mb"] = R(AllocatedBytes / 1048576.0, 1),
        ["allocated_kb_per_message"] = Messages > 0 ? R(AllocatedBytes / 1024.0 / Messages, 1) : null,
    };

    /// <summary>One line for the table: CPU per message and the machine's state.</summary>
    public string Brief =>
        $"cpu {CpuMsPerMessage:0.00} ms/msg ({ProcessCpuPctOfMachine:0}% of machine), busy {Machine.BusyPct:0}%, iowait {Machine.IoWaitPct:0}%, " +
        $"others {OthersPct:0}%" + (OthersPct > NoisyOthersPct ? " NOISY" : "");

    /// <summary>CPU other processes used, as a share of the whole machine.</summary>
    public double OthersPct => Math.Max(0, Machine.BusyPct - ProcessCpuPctOfMachine);

    /// <summary>Above this share of the machine used by other processes, a figure is marked NOISY.</summary>
    public const double NoisyOthersPct = 20;

    public static double? R(double v, int digits) => double.IsFinite(v) ? Math.Round(v, digits) : null;
}

/// <summary>The first line of /proc/stat (all cores), in clock ticks.</summary>
public readonly record struct MachineCpu(long Busy, long Idle, long IoWait)
{
    public static MachineCpu Read()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var f = reader.ReadLine()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long V(int i) => f.Length > i ? long.Parse(f[i], CultureInfo.InvariantCulture) : 0;
            // cpu user nice system idle iowait irq softirq steal
            return new MachineCpu(V(1) + V(2) + V(3) + V(6) + V(7) + V(8), V(4), V(5));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return default;
        }
    }

    public MachineCpuUsage Until(MachineCpu end)
    {
        var busy = end.Busy - Busy;
        var idle = end.Idle - Idle;
        var io = end.IoWait - IoWait;
        var total = busy + idle + io;
        return total <= 0 ? new MachineCpuUsage(0, 0) : new MachineCpuUsage(100.0 * busy / total, 100.0 * io / total);
    }
}

public readonly record struct MachineCpuUsage(double BusyPct, double IoWaitPct);

/// <summary>Resident set size from /proc/self/status. The peak (VmHWM) can be reset per benchmark (Linux ≥ 4.0).</summary>
public static class Rss
{
    public static long CurrentBytes => Read("VmRSS:") ?? Environment.WorkingSet;

    public static long PeakBytes
    {
        get
        {
            var hwm = Read("VmHWM:");
            if (hwm is not null) return hwm.Value;
            using var p = Process.GetCurrentProcess();
            return p.PeakWorkingSet64;
        }
    }

    /// <summary>Writes 5 to /proc/self/clear_refs, which resets VmHWM to the current RSS.</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long? Read(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
                var kb = line[key.Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return null;
    }
}

/// <summary>Nearest-rank percentiles of latencies in milliseconds.</summary>
public sealed class Latencies
{
    private readonly double[] _sorted;

    public Latencies(IEnumerable<double> valuesMs)
    {
        _sorted = valuesMs.ToArray();
        Array.Sort(_sorted);
    }

    public int Count => _sorted.Length;

    public double P(double q) => _sorted.Length == 0 ? double.NaN : _sorted[Math.Clamp((int)Math.Ceiling(q * _sorted.Length) - 1, 0, _sorted.Length - 1)];

    public double Max => _sorted.Length == 0 ? double.NaN : _sorted[^1];

    public double Mean => _sorted.Length == 0 ? double.NaN : _sorted.Average();

    public Dictionary<string, object?> ToJson() => new()
    {
        ["count"] = Count,
        ["p50_ms"] = ResourceUsage.R(P(0.50), 2),
        ["p90_ms"] = ResourceUsage.R(P(0.90), 2),
        ["p99_ms"] = ResourceUsage.R(P(0.99), 2),
        ["p999_ms"] = ResourceUsage.R(P(0.999), 2),
        ["max_ms"] = ResourceUsage.R(Max, 2),
        ["mean_ms"] = ResourceUsage.R(Mean, 2),
    };
}

/// <summary>Forces a full, compacting collection; returns the live managed heap.</summary>
public static class Heap
{
    public static long SettledBytes()
    {
        for (var i = 0; i < 3; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

/// <summary>Other engineers share the machine: before each benchmark, wait (bounded) for a quiet second.</summary>
public static class Idle
{
    public const double BusyThresholdPct = 25;

    /// <returns>Seconds waited, and the machine's busy % in the last 1-s window before starting.</returns>
    public static async Task<(double WaitedS, double BusyPct)> WaitAsync(double maxSeconds)
    {
        var start = Clock.Now;
        while (true)
        {
            var a = MachineCpu.Read();
            await Task.Delay(1000);
            var busy = a.Until(MachineCpu.Read()).BusyPct;
            var waited = Clock.Seconds(start, Clock.Now);
            if (busy < BusyThresholdPct || waited >= maxSeconds) return (waited, busy);
        }
    }
}
