using System.Globalization;
using ActorGateway.Benchmarks;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(Options.Usage);
    return 0;
}

Options o;
try
{
    o = Options.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

// Child gateways and temp directories must not outlive us, whatever happens.
AppDomain.CurrentDomain.ProcessExit += (_, _) => Cleanup();
Console.CancelKeyPress += (_, e) =>
{
    Cleanup();
    e.Cancel = false;
};

BenchNode.Overrides = o.Set;
var conditions = Conditions.Collect(o);
var results = new List<BenchResult>();
Console.Error.WriteLine($"ActorGateway benchmarks ({(o.Quick ? "quick" : "full")}): {string.Join(", ", Options.AllBenchmarks.Where(o.Runs))}; " +
    $"{conditions["cores"]} cores, {conditions["os"]}, {conditions["dotnet"]}, temp on {conditions["temp_filesystem"]}");

(double WaitedS, double BusyPct) idle = (0, double.NaN);

async Task<T?> Run<T>(string label, Func<Task<T>> body) where T : class
{
    Console.Error.WriteLine($"== {label}");
    if (o.WaitIdleSeconds > 0)
    {
        idle = await Idle.WaitAsync(o.WaitIdleSeconds);
        if (idle.BusyPct >= Idle.BusyThresholdPct || idle.WaitedS > 2)
            Console.Error.WriteLine($"   machine {idle.BusyPct:0}% busy before start (waited {idle.WaitedS:0} s)");
    }
    try
    {
        return await body();
    }
    catch (Exception ex)
    {
        Console.Error.WriteLine($"   {label} failed: {ex}");
        var failed = new BenchResult(label.Split(' ')[0], label, "failed") { Error = $"{ex.GetType().Name}: {ex.Message}" };
        results.Add(failed);
        return null;
    }
}

void Show(BenchResult r)
{
    r.Metrics["machine_busy_before_start_pct"] = ResourceUsage.R(idle.BusyPct, 1);
    r.Metrics["waited_for_idle_s"] = Math.Round(idle.WaitedS, 1);
    results.Add(r);
    Console.Error.WriteLine($"   {r.Id} {r.Scenario}: {(r.Rate is { } x ? $"{x:N1} {r.RateUnit}" : "")} {(r.P99Ms is { } p ? $"p99 {p:0.0} ms" : "")} {r.Extra}");
}

var calibration = await Run("CAL raw SQLite insert rate", () => Calibration.RunAsync(o));
if (calibration is not null) foreach (var r in calibration.Results) Show(r);

Throughput.Outcome? b1 = null;
if (o.Runs("B1"))
{
    b1 = await Run("B1 durable SQLite throughput", () => Throughput.RunAsync(o, "B1", "durable SQLite (WAL), closed loop",
        "end-to-end throughput: first SubmitAsync to last outcome, N messages, bounded concurrency", Journal.Sqlite, 0));
    if (b1 is not null)
    {
        if (calibration is not null && b1.Result.Metrics.TryGetValue("journal_rows_per_s", out var rps) && rps is double rowsPerS)
        {
            var ratio = rowsPerS / calibration.Batch100RowsPerS;
            b1.Result.Metrics["journal_rows_per_s_vs_raw_batch100"] = Math.Round(ratio, 4);
            b1.Result.Extra = $"{ratio * 100:0.0}% of raw SQLite batch-100 rate; " + b1.Result.Extra;
        }
        Show(b1.Result);
    }
}

BenchNode.PostgresServer = o.Postgres;
foreach (var (id, members) in new[] { ("B1P", 0), ("B1C", o.ClusterMembers) })
{
    if (!o.Runs(id)) continue;
    if (o.Postgres is null)
    {
        Console.Error.WriteLine($"== {id} skipped: it needs --postgres CONNSTRING (or $GATEWAY_BENCH_POSTGRES)");
        continue;
    }
    var label = members > 0 ? $"{id} durable PostgreSQL, {members}-node cluster in one process" : $"{id} durable PostgreSQL throughput, one node";
    var r = await Run(label, () => Throughput.RunAsync(o, id, members > 0 ? $"durable PostgreSQL, {members} cluster members, closed loop" : "durable PostgreSQL, one node, closed loop",
        members > 0
            ? $"B1 over {members} cluster members in one process (sharded partitions, leases, one PostgreSQL), submissions round-robin over the members"
            : "B1 with the journal, snapshots and content in PostgreSQL", Journal.Postgres, 0, members));
    if (r is not null)
    {
        if (b1 is not null) r.Result.Extra = $"{r.MessagesPerSecond / b1.MessagesPerSecond:0.00}x B1; " + r.Result.Extra;
        Show(r.Result);
    }
}

if (o.Runs("B2"))
{
    var b2 = await Run("B2 in-memory journal throughput", () => Throughput.RunAsync(o, "B2", "in-memory journal (framework floor), closed loop",
        "as B1 with akka.persistence.journal.inmem and snapshot-store.inmem; content store and spool still fsync to disk", Journal.InMemory, 0));
    if (b2 is not null)
    {
        if (b1 is not null) b2.Result.Extra = $"{b2.MessagesPerSecond / b1.MessagesPerSecond:0.0}x B1; " + b2.Result.Extra;
        Show(b2.Result);
    }
}

if (o.Runs("B3"))
{
    var r = await Run("B3 open-loop latency", () => OpenLoop.RunAsync(o, b1?.MessagesPerSecond));
    if (r is not null) Show(r);
}

if (o.Runs("B4"))
{
    var clean = b1;
    if (clean is null)
    {
        clean = await Run("B4 clean baseline (B1 not in this run)", () => Throughput.RunAsync(o, "B4", "clean baseline (0% poison)",
            "B1 rerun as the baseline for B4", Journal.Sqlite, 0));
        if (clean is not null) Show(clean.Result);
    }
    foreach (var fraction in new[] { 0.01, 0.10 })
    {
        var r = await Run($"B4 poison {fraction:P0}", () => Throughput.RunAsync(o, "B4", $"{fraction:P0} poison (blank display name), durable SQLite",
            "B1 with poison messages mixed in: healthy messages/s (to the last healthy outcome) and healthy latency", Journal.Sqlite, fraction));
        if (r is null) continue;
        if (clean is not null)
        {
            var relative = r.HealthyPerSecond / clean.MessagesPerSecond;
            r.Result.Metrics["healthy_throughput_vs_clean"] = Math.Round(relative, 4);
            r.Result.Metrics["clean_messages_per_s"] = Math.Round(clean.MessagesPerSecond, 1);
            r.Result.Metrics["clean_p99_ms"] = clean.Result.P99Ms is { } p ? Math.Round(p, 2) : null;
            r.Result.Extra = $"healthy {relative * 100:0}% of clean ({clean.MessagesPerSecond:N0} msg/s), healthy p99 {r.Result.P99Ms:0} vs clean {clean.Result.P99Ms:0} ms; " + r.Result.Extra;
        }
        Show(r.Result);
    }
}

if (o.Runs("B5"))
{
    foreach (var count in o.InFlight)
    {
        var r = await Run($"B5 memory {count:N0} in flight", () => Memory.RunAsync(o, count));
        if (r is not null) Show(r);
    }
}

if (o.Runs("B6"))
{
    var r = await Run("B6 kill -9 recovery", () => Recovery.RunAsync(o));
    if (r is not null) Show(r);
}

if (o.Runs("B8"))
{
    var r = await Run("B8 soak", () => Soak.RunBenchAsync(o, b1?.MessagesPerSecond));
    if (r is not null) Show(r);
}

Cleanup();
Console.WriteLine(Report.Table(conditions, results));
var outPath = Path.GetFullPath(o.Out);
await File.WriteAllTextAsync(outPath, Report.Json(conditions, results));
Console.WriteLine($"JSON results: {outPath}");
return results.Any(r => r.Error is not null) ? 1 : 0;

static void Cleanup()
{
    ChildProcesses.KillAll();
    TempDirs.DeleteAll();
}
