using System.Runtime;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace ActorGateway.Benchmarks;

/// <summary>What the figures depend on: machine, runtime, storage, sizes.</summary>
public static class Conditions
{
    public static Dictionary<string, object?> Collect(Options o)
    {
        var temp = TempDirs.Root;
        return new Dictionary<string, object?>
        {
            ["started_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["cores"] = Environment.ProcessorCount,
            ["cpu"] = CpuModel(),
            ["memory_gb"] = Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0, 1),
            ["os"] = RuntimeInformation.OSDescription,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["gc"] = (GCSettings.IsServerGC ? "server" : "workstation") + (GCSettings.LatencyMode == GCLatencyMode.Batch ? "" : ", concurrent"),
            ["build"] = IsRelease() ? "Release" : "Debug",
            ["akka"] = typeof(Akka.Actor.ActorSystem).Assembly.GetName().Version?.ToString(),
            ["akka_persistence_sql"] = typeof(Akka.Persistence.Sql.SqlPersistence).Assembly.GetName().Version?.ToString(),
            ["sqlite"] = SqliteVersion(),
            ["temp_dir"] = temp,
            ["temp_filesystem"] = FileSystemOf(temp),
            ["quick"] = o.Quick,
            ["messages"] = o.Messages,
            ["concurrency"] = o.Concurrency,
            ["warmup"] = o.Warmup,
            ["b3_seconds"] = o.B3Seconds,
            ["b5_in_flight"] = string.Join(",", o.InFlight),
            ["b6_messages"] = o.RecoveryMessages,
            ["wait_idle_s"] = o.WaitIdleSeconds,
            ["hocon_overrides"] = o.Set.Count == 0 ? "none" : string.Join("; ", o.Set),
            ["benchmarks"] = string.Join(",", Options.AllBenchmarks.Where(o.Runs)),
            ["max_in_flight"] = 2000,
            ["max_concurrent_recoveries"] = 200,
            ["akka_logging"] = "INFO events created, counted by an in-process logger (not printed/written)",
        };
    }

    private static bool IsRelease()
    {
        var debuggable = typeof(Conditions).Assembly.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false)
            .OfType<System.Diagnostics.DebuggableAttribute>().FirstOrDefault();
        return debuggable is null || !debuggable.IsJITOptimizerDisabled;
    }

    private static string? CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string? SqliteVersion()
    {
        using var c = new SqliteConnection("Data Source=:memory:");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "select sqlite_version()";
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>The mount (from /proc/mounts) holding <paramref name="path"/>: device, mount point and type.</summary>
    private static string? FileSystemOf(string path)
    {
        try
        {
            var full = Path.GetFullPath(path);
            var best = File.ReadLines("/proc/mounts")
                .Select(l => l.Split(' '))
                .Where(f => f.Length >= 3 && (full.StartsWith(f[1].TrimEnd('/') + "/", StringComparison.Ordinal) || f[1] == "/"))
                .OrderByDescending(f => f[1].Length)
                .FirstOrDefault();
            return best is null ? null : $"{best[2]} on {best[1]} ({best[0]})";
        }
        catch (IOException)
        {
            return null;
        }
    }
}
