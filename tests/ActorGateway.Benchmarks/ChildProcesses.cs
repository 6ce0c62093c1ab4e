using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace ActorGateway.Benchmarks;

/// <summary>The real <c>gateway</c> executable (gateway.dll, built next to the benchmark) as a child process. Every child is killed on exit.</summary>
public sealed partial class GatewayChild : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _head = new();
    private readonly ConcurrentQueue<string> _last = new();
    private readonly ConcurrentDictionary<string, (long At, string Line)> _firstSeen = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _matched = new();
    private readonly string[] _watch;
    private int _lines;

    private GatewayChild(Process process, string[] watch)
    {
        _process = process;
        _watch = watch;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int Lines => Volatile.Read(ref _lines);

    /// <summary>The first 100 and the last 50 lines of output.</summary>
    public string Tail => string.Join("\n", _head) + "\n...\n" + string.Join("\n", _last);

    public static string GatewayDll
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "gateway.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("gateway.dll is not next to the benchmark (the Host project reference builds it)", dll);
        }
    }

    /// <param name="watch">Substrings whose first appearance in the output is time-stamped (see <see cref="FirstSeen"/>) and whose lines are counted (see <see cref="Count"/>).</param>
    public static GatewayChild Start(string[] args, params string[] watch)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(GatewayDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the gateway");
        var child = new GatewayChild(process, watch);
        ChildProcesses.Track(child);
        return child;
    }

    /// <summary>When the output first contained <paramref name="text"/> (a <see cref="Clock"/> timestamp).</summary>
    public long? FirstSeen(string text) => _firstSeen.TryGetValue(text, out var t) ? t.At : null;

    /// <summary>The first output line that contained <paramref name="text"/>.</summary>
    public string? FirstLine(string text) => _firstSeen.TryGetValue(text, out var t) ? t.Line : null;

    /// <summary>How many output lines so far contained <paramref name="text"/> (one of the watched substrings).</summary>
    public int Count(string text) => _matched.TryGetValue(text, out var q) ? q.Count : 0;

    /// <summary>Every output line so far that contained <paramref name="text"/> (one of the watched substrings).</summary>
    public IReadOnlyCollection<string> MatchedLines(string text) => _matched.TryGetValue(text, out var q) ? q.ToArray() : [];

    private void OnLine(string? line)
    {
        if (line is null) return;
        var now = Clock.Now;
        Interlocked.Increment(ref _lines);
        foreach (var w in _watch)
        {
            if (!line.Contains(w, StringComparison.Ordinal)) continue;
            _firstSeen.TryAdd(w, (now, line));
            _matched.GetOrAdd(w, _ => new ConcurrentQueue<string>()).Enqueue(line);
        }
        var kept = line.Length > 500 ? line[..500] : line;
        if (_head.Count < 100) _head.Enqueue(kept);
        _last.Enqueue(kept);
        while (_last.Count > 50) _last.TryDequeue(out _);
    }

    /// <summary>User and system CPU seconds of the child so far (/proc/PID/stat), or null.</summary>
    public (double User, double Sys)? CpuSeconds()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After "pid (comm) ": state=0 ... utime=11, stime=12 (fields 14 and 15 of proc(5)), in clock ticks (100/s).
            return (long.Parse(f[11], CultureInfo.InvariantCulture) / 100.0, long.Parse(f[12], CultureInfo.InvariantCulture) / 100.0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>SIGKILL (kill -9) of the child and its descendants; waits until it is gone.</summary>
    public void KillHard()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(30_000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>SIGTERM (a graceful stop); SIGKILL if it has not exited within <paramref name="timeout"/>.</summary>
    public bool Terminate(TimeSpan timeout)
    {
        if (_process.HasExited) return true;
        _ = Kill(_process.Id, 15);
        if (_process.WaitForExit((int)timeout.TotalMilliseconds)) return true;
        KillHard();
        return false;
    }

    public void Dispose()
    {
        KillHard();
        ChildProcesses.Untrack(this);
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}

/// <summary>Children still running; killed on exit, Ctrl+C and failure.</summary>
public static class ChildProcesses
{
    private static readonly ConcurrentDictionary<GatewayChild, byte> Live = new();

    public static void Track(GatewayChild child) => Live[child] = 0;

    public static void Untrack(GatewayChild child) => Live.TryRemove(child, out _);

    public static void KillAll()
    {
        foreach (var child in Live.Keys) child.KillHard();
    }
}

/// <summary>
/// The folders a benchmark drives a child <c>gateway run</c> through (B6, B8): its data directory with <c>pickup/</c>
/// and the spool, where the spool is moved while the target is "down", a staging folder for files to drop in,
/// and the site configuration. <see cref="Prepare"/> creates the pickup and staging folders.
/// </summary>
public sealed record ChildGatewayDirs(string Root)
{
    public string Data => Path.Combine(Root, "data");

    public string Pickup => Path.Combine(Data, "pickup");

    public string Claimed => Path.Combine(Pickup, ".claimed");

    public string Spool => Path.Combine(Data, "outbound");

    public string SpoolAway => Path.Combine(Root, "outbound.away");

    public string Staging => Path.Combine(Root, "staging");

    public string SiteConfig => Path.Combine(Root, "site.conf");

    public ChildGatewayDirs Prepare()
    {
        Directory.CreateDirectory(Pickup);
        Directory.CreateDirectory(Staging);
        return this;
    }

    public void Deconstruct(out string data, out string pickup, out string claimed, out string spool, out string spoolAway, out string staging, out string siteConfig) =>
        (data, pickup, claimed, spool, spoolAway, staging, siteConfig) = (Data, Pickup, Claimed, Spool, SpoolAway, Staging, SiteConfig);
}
