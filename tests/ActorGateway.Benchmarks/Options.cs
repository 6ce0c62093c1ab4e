using System.Globalization;

namespace ActorGateway.Benchmarks;

/// <summary>The command line. Every benchmark has a default size; <c>--quick</c> scales them down.</summary>
public sealed record Options
{
    public static readonly string[] AllBenchmarks = ["B1", "B1P", "B1C", "B2", "B3", "B4", "B5", "B6", "B8"];

    public bool Quick { get; init; }
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>(AllBenchmarks);

    /// <summary>B1, B2, B4: messages per run.</summary>
    public int Messages { get; init; } = 50_000;

    /// <summary>Submissions in flight at once (closed loop: B1, B2, B4, B5 filling).</summary>
    public int Concurrency { get; init; } = 256;

    /// <summary>Untimed messages through each node before a timed phase (JIT, connection pool, linq2db caches).</summary>
    public int Warmup { get; init; } = 500;

    /// <summary>B3: how long the constant offered rate is held.</summary>
    public double B3Seconds { get; init; } = 60;

    /// <summary>B3: offered rate override (messages/s); default 50% of B1's rate in this run.</summary>
    public double? Rate { get; init; }

    /// <summary>B5: messages held in flight, one fresh node per count.</summary>
    public IReadOnlyList<int> InFlight { get; init; } = [10_000, 100_000];

    /// <summary>B6: messages fed through the pickup directory of the child gateway.</summary>
    public int RecoveryMessages { get; init; } = 10_000;

    /// <summary>B8: how long the soak's load lasts (the outage is 60 s in its middle, the kill at three quarters). Quick: the 60-second short version.</summary>
    public double B8Seconds { get; init; } = 600;

    /// <summary>B8: offered rate override (messages/s); default 50% of B1's rate in this run.</summary>
    public double? B8Rate { get; init; }

    /// <summary>Calibration: rows inserted in 100-row transactions.</summary>
    public int CalibrationRows { get; init; } = 100_000;

    public string Out { get; init; } = "benchmark-results.json";

    /// <summary>Extra HOCON lines applied to every in-process node (experiments: --set akka.persistence.max-concurrent-recoveries=1000).</summary>
    public IReadOnlyList<string> Set { get; init; } = [];

    /// <summary>Before each benchmark, wait up to this long for a second in which the machine is under 25% busy.</summary>
    public double WaitIdleSeconds { get; init; } = 120;

    public bool Runs(string id) => Only.Contains(id);

    /// <summary>The PostgreSQL server for B1P and B1C (a role that may create databases; each run gets a fresh one).</summary>
    public string? Postgres { get; init; } = Environment.GetEnvironmentVariable("GATEWAY_BENCH_POSTGRES") is { Length: > 0 } env ? env : null;

    /// <summary>B1C's cluster members, all in this process.</summary>
    public int ClusterMembers { get; init; } = 3;

    public const string Usage = """
        ActorGateway benchmarks: the real pipeline (engine, SQLite journal in WAL mode, content store, spool).
        Run from the repository root:
          dotnet run -c Release --project tests/ActorGateway.Benchmarks -- [options]

        Options:
          --quick               small sizes for a fast look (5,000 messages, 15 s of B3, 2,000/10,000 in flight, 3,000 for B6)
          --only B1,B3          run only these (B1, B1P, B1C, B2..B6, B8); the SQLite calibration line always runs
          --postgres CONN       the PostgreSQL server for B1P (B1 on PostgreSQL, one node) and B1C (B1 on a cluster of
                                --cluster-members nodes in this process): an Npgsql connection string whose role may
                                create databases; each run gets a fresh database, dropped afterwards.
                                Default $GATEWAY_BENCH_POSTGRES; without one, B1P and B1C are skipped
          --cluster-members N   B1C's members (default 3)
          --messages N          B1/B2/B4 messages per run (default 50,000; quick 5,000)
          --concurrency C       closed-loop submissions in flight (default 256)
          --warmup N            untimed messages per node before timing (default 500; quick 200)
          --b3-seconds S        B3 duration at the constant offered rate (default 60; quick 15)
          --rate R              B3 offered rate in messages/s (default: 50% of B1's rate in this run)
          --inflight A,B        B5 in-flight counts (default 10000,100000; quick 2000,10000)
          --b6-messages N       B6 messages through the child gateway's pickup directory (default 10,000; quick 3,000)
          --b8-seconds S        B8 soak duration (default 600: 10 minutes, a 60 s outage in the middle, kill -9 at 3/4;
                                quick: the 60 s short version, the one the test suite runs)
          --b8-rate R           B8 offered rate in messages/s, half pickup and half SMTP (default: 50% of B1's rate in this run)
          --calibration-rows N  raw SQLite rows for the calibration line (default 100,000; quick 20,000)
          --wait-idle S         before each benchmark, wait up to S seconds for the machine to be under 25% busy
                                (default 120; quick 15; 0 = do not wait). The busy % found is recorded.
          --set KEY=VALUE       a HOCON override for every in-process node, repeatable (experiments; recorded in the JSON),
                                e.g. --set akka.persistence.max-concurrent-recoveries=1000
          --out FILE            JSON results (default benchmark-results.json)
        """;

    public static Options Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        var o = quick
            ? new Options
            {
                Quick = true, Messages = 5_000, Warmup = 200, B3Seconds = 15, InFlight = [2_000, 10_000],
                RecoveryMessages = 3_000, CalibrationRows = 20_000, WaitIdleSeconds = 15,
            }
            : new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value");
            int NextInt() => int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v : throw new ArgumentException($"{a} needs a positive whole number");
            double NextDouble() => double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v : throw new ArgumentException($"{a} needs a positive number");
            o = a switch
            {
                "--quick" => o,
                "--only" => o with { Only = ParseOnly(Next()) },
                "--messages" => o with { Messages = NextInt() },
                "--concurrency" => o with { Concurrency = NextInt() },
                "--warmup" => o with { Warmup = NextInt() },
                "--b3-seconds" => o with { B3Seconds = NextDouble() },
                "--rate" => o with { Rate = NextDouble() },
                "--inflight" => o with { InFlight = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList() },
                "--b6-messages" => o with { RecoveryMessages = NextInt() },
                "--b8-seconds" => o with { B8Seconds = NextDouble() },
                "--b8-rate" => o with { B8Rate = NextDouble() },
                "--calibration-rows" => o with { CalibrationRows = NextInt() },
                "--out" => o with { Out = Next() },
                "--set" => o with { Set = [.. o.Set, Next()] },
                "--postgres" => o with { Postgres = Next() },
                "--cluster-members" => o with { ClusterMembers = NextInt() },
                "--wait-idle" => o with { WaitIdleSeconds = double.Parse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option '{a}'"),
            };
        }
        return o;
    }

    private static HashSet<string> ParseOnly(string value)
    {
        var set = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.ToUpperInvariant()).ToHashSet();
        var unknown = set.Except(AllBenchmarks).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"--only: unknown benchmark(s) {string.Join(", ", unknown)} (have {string.Join(", ", AllBenchmarks)})");
        return set;
    }
}
