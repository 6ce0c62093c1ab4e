using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;
using ActorGateway.Actors;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain.Messages;
using Microsoft.Data.Sqlite;

namespace ActorGateway.Benchmarks;

public enum Journal
{
    /// <summary>The shipped default: Akka.Persistence.Sql on SQLite (WAL) in the data directory.</summary>
    Sqlite,

    /// <summary>akka.persistence.journal.inmem and snapshot-store.inmem: the framework floor.</summary>
    InMemory,

    /// <summary>Akka.Persistence.Sql on PostgreSQL (--postgres), content in its table: a fresh database per run.</summary>
    Postgres,
}

/// <summary>
/// One gateway node in this process, on a fresh temp data directory that is deleted on dispose:
/// <see cref="GatewayNode.CreateSqliteSystem"/> + <see cref="GatewayNode.Start"/>, exactly as the host wires it,
/// with Akka's log events counted (not printed) and every <see cref="GatewayProtocol.MessageOutcome"/> time-stamped.
/// </summary>
public sealed class BenchNode : IAsyncDisposable
{
    private BenchNode(string dataDir, ActorSystem system, GatewayNode node, OutcomeRecorder outcomes)
        : this([dataDir], [system], [node], outcomes, null)
    {
    }

    private BenchNode(IReadOnlyList<string> dataDirs, IReadOnlyList<ActorSystem> systems, IReadOnlyList<GatewayNode> nodes, OutcomeRecorder outcomes,
        BenchDatabase? database)
    {
        DataDirs = dataDirs;
        Systems = systems;
        Nodes = nodes;
        Outcomes = outcomes;
        Database = database;
    }

    public string DataDir => DataDirs[0];
    public ActorSystem System => Systems[0];
    /// <summary>The first node (the only one, unless this is a cluster).</summary>
    public GatewayNode Node => Nodes[0];
    public IReadOnlyList<string> DataDirs { get; }
    public IReadOnlyList<ActorSystem> Systems { get; }
    /// <summary>Every node: one, or the members of an in-process cluster (submissions go round-robin over them).</summary>
    public IReadOnlyList<GatewayNode> Nodes { get; }
    public OutcomeRecorder Outcomes { get; }
    /// <summary>The PostgreSQL database of a Postgres run (dropped on dispose).</summary>
    public BenchDatabase? Database { get; }

    /// <summary>The server for Journal.Postgres (--postgres, or $GATEWAY_BENCH_POSTGRES): a role that may create databases.</summary>
    public static string? PostgresServer { get; set; }

    public string JournalFile => Path.Combine(DataDir, GatewayConfig.SqliteJournalFile);

    /// <summary>Akka logging: events at INFO are created as in production, but go to a counting logger instead of stdout.</summary>
    public const string BaseHocon = """
        akka.loglevel = INFO
        akka.stdout-loglevel = WARNING
        akka.loggers = ["ActorGateway.Benchmarks.CountingLogger, ActorGateway.Benchmarks"]
        akka.logger-startup-timeout = 30s
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        """;

    /// <summary>--set lines: highest priority, for every node of the run.</summary>
    public static IReadOnlyList<string> Overrides { get; set; } = [];

    public const string InMemoryHocon = """
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """;

    public static async Task<BenchNode> StartAsync(string label, Journal journal, string? extraHocon = null, IMessageTransport? transport = null)
    {
        var dir = TempDirs.Create(label);
        try
        {
            // In one HOCON document a later value wins: --set lines go last.
            var hocon = (extraHocon ?? "") + "\n" + (journal == Journal.InMemory ? InMemoryHocon : "") + "\n" + BaseHocon + "\n" + string.Join("\n", Overrides);
            LogCounts.Reset();
            if (journal == Journal.Postgres) return await StartPostgresAsync([dir], ConfigurationFactory.ParseString(hocon), clustered: false, transport);
            var system = GatewayNode.CreateSqliteSystem("bench", dir, ConfigurationFactory.ParseString(hocon));
            var outcomes = OutcomeRecorder.Start(system);
            var node = GatewayNode.Start(system, new GatewayNodeOptions(Transport: transport));
            var bench = new BenchNode(dir, system, node, outcomes);
            await bench.WaitRecoveredAsync(TimeSpan.FromSeconds(60));
            return bench;
        }
        catch
        {
            TempDirs.Delete(dir);
            throw;
        }
    }

    /// <summary>
    /// A cluster of <paramref name="members"/> nodes in this process (one ActorSystem each, remoting on 127.0.0.1, the first
    /// two as seeds) over one fresh PostgreSQL database: the topology of docker-compose.yml, sharing this process's CPUs.
    /// </summary>
    public static async Task<BenchNode> StartClusterAsync(string label, int members)
    {
        var dirs = Enumerable.Range(1, members).Select(n => TempDirs.Create($"{label}-n{n}")).ToList();
        try
        {
            var hocon = BaseHocon + "\n" + string.Join("\n", Overrides);
            LogCounts.Reset();
            return await StartPostgresAsync(dirs, ConfigurationFactory.ParseString(hocon), clustered: true, transport: null);
        }
        catch
        {
            foreach (var d in dirs) TempDirs.Delete(d);
            throw;
        }
    }

    private static async Task<BenchNode> StartPostgresAsync(IReadOnlyList<string> dirs, Config overrides, bool clustered, IMessageTransport? transport)
    {
        var server = PostgresServer ?? throw new ArgumentException("a PostgreSQL benchmark needs --postgres CONNSTRING (or $GATEWAY_BENCH_POSTGRES)");
        var database = BenchDatabase.Create(server);
        var systems = new List<ActorSystem>();
        try
        {
            GatewayNode.PreparePostgres(database.ConnectionString, TimeSpan.FromSeconds(30), overrides);
            var ports = dirs.Select(_ => FreePort()).ToList();
            var seeds = ports.Take(2).Select(p => $"127.0.0.1:{p}").ToList();
            for (var n = 0; n < dirs.Count; n++)
            {
                var cluster = clustered ? new ClusterChoice("127.0.0.1", ports[n], seeds) : null;
                var config = GatewayConfig.For(dirs[n], StorageChoice.Postgres(database.ConnectionString), overrides, cluster);
                systems.Add(ActorSystem.Create(clustered ? GatewayConfig.SystemName : "bench", config));
            }
            var outcomes = OutcomeRecorder.Start([.. systems]);
            var nodes = systems.Select(system => GatewayNode.Start(system, new GatewayNodeOptions(Transport: transport))).ToList();
            if (clustered)
            {
                await Task.WhenAll(systems.Select(system => Actors.Cluster.ClusterMembership.WaitUpAsync(system, seeds, TimeSpan.FromSeconds(60))));
            }
            var bench = new BenchNode(dirs, systems, nodes, outcomes, database);
            await bench.WaitRecoveredAsync(TimeSpan.FromSeconds(120));
            return bench;
        }
        catch
        {
            foreach (var system in systems) await system.Terminate().WaitAsync(TimeSpan.FromSeconds(60));
            database.Dispose();
            throw;
        }
    }

    private static int FreePort()
    {
        using var listener = new global::System.Net.Sockets.TcpListener(global::System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((global::System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task<GatewayProtocol.GatewayStatus> StatusAsync() =>
        await Node.Gateway.Ask<GatewayProtocol.GatewayStatus>(GatewayProtocol.GetStatus.Instance, TimeSpan.FromSeconds(30));

    private async Task WaitRecoveredAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if ((await StatusAsync()).Recovered) return;
            }
            catch (AskTimeoutException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the gateway registry did not recover");
            await Task.Delay(20);
        }
    }

    /// <summary>Rows in the <c>journal</c> table now, and the highest <c>ordering</c> (rows ever inserted: trimmed registry events are deleted).</summary>
    public (long Count, long MaxOrdering) JournalRows()
    {
        if (Database is not null) return Database.JournalRows();
        using var c = new SqliteConnection($"Data Source={JournalFile};Mode=ReadOnly;Pooling=False;Default Timeout=30");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*), coalesce(max(ordering), 0) FROM journal";
        using var r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1));
    }

    public async ValueTask DisposeAsync()
    {
        Outcomes.Dispose();
        try
        {
            // Members leave one by one, so the last ones take the partitions over cleanly rather than as after a crash.
            foreach (var system in Systems.Reverse()) await system.Terminate().WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine("  (actor system did not terminate within 120 s)");
        }
        SqliteConnection.ClearAllPools();
        Database?.Dispose();
        foreach (var dir in DataDirs) TempDirs.Delete(dir);
    }
}

/// <summary>
/// Polls the gateway's status every 250 ms during a timed phase: how many messages are registered (admitted, not
/// finished) and waiting for admission, and how long the gateway actor takes to answer (its mailbox delay).
/// </summary>
public sealed class StatusSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<double> _askMs = [];

    public StatusSampler(BenchNode node) => _loop = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var t = Clock.Now;
                var s = await node.StatusAsync();
                lock (_askMs) _askMs.Add(Clock.Ms(t, Clock.Now));
                MaxRegistered = Math.Max(MaxRegistered, s.Registered);
                MaxWaiting = Math.Max(MaxWaiting, s.Waiting);
                await Task.Delay(250, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (AskTimeoutException)
            {
            }
        }
    });

    public int MaxRegistered { get; private set; }
    public int MaxWaiting { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(35));
        }
        catch (TimeoutException)
        {
        }
        _stop.Dispose();
    }

    public Dictionary<string, object?> ToJson()
    {
        Latencies ask;
        lock (_askMs) ask = new Latencies(_askMs);
        return new()
        {
            ["max_registered_in_flight"] = MaxRegistered,
            ["max_waiting_for_admission"] = MaxWaiting,
            ["samples"] = ask.Count,
            ["gateway_status_reply_p50_ms"] = ResourceUsage.R(ask.P(0.5), 2),
            ["gateway_status_reply_p99_ms"] = ResourceUsage.R(ask.P(0.99), 2),
            ["gateway_status_reply_max_ms"] = ResourceUsage.R(ask.Max, 2),
        };
    }
}

/// <summary>Fresh directories under the temp folder, removed afterwards (also at exit, if a benchmark failed).</summary>
public static class TempDirs
{
    private static readonly ConcurrentDictionary<string, byte> Live = new();

    public static string Root => Path.GetTempPath();

    public static string Create(string label)
    {
        var dir = Path.Combine(Root, $"agw-bench-{label}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dir);
        Live[dir] = 0;
        return dir;
    }

    public static void Delete(string dir)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                Live.TryRemove(dir, out _);
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
        Console.Error.WriteLine($"  could not delete {dir}");
    }

    public static void DeleteAll()
    {
        foreach (var dir in Live.Keys) Delete(dir);
    }
}

/// <summary>Time-stamps every outcome the gateway publishes (after <c>MessageReleased</c> is in the journal).</summary>
public sealed class OutcomeRecorder : IDisposable
{
    private readonly ConcurrentDictionary<MessageId, Outcome> _outcomes = new();
    private readonly IActorRef[] _listeners;
    private int _count;

    public readonly record struct Outcome(long Timestamp, string Kind);

    private OutcomeRecorder(ActorSystem[] systems)
    {
        // An outcome is published on the node whose partition ran the message: listen on every node.
        _listeners = systems.Select(system =>
        {
            var listener = system.ActorOf(Props.Create(() => new Listener(this)), "bench-outcomes");
            system.EventStream.Subscribe(listener, typeof(GatewayProtocol.MessageOutcome));
            return listener;
        }).ToArray();
    }

    public static OutcomeRecorder Start(params ActorSystem[] systems) => new(systems);

    public int Count => Volatile.Read(ref _count);

    public bool TryGet(MessageId id, out Outcome outcome) => _outcomes.TryGetValue(id, out outcome);

    /// <summary>Waits until <paramref name="total"/> outcomes have arrived; fails when none arrives for <paramref name="stall"/>.</summary>
    public async Task WaitForAsync(int total, string label, TimeSpan stall)
    {
        var last = Count;
        var lastChange = Clock.Now;
        var lastReport = Clock.Now;
        while (Count < total)
        {
            await Task.Delay(10);
            var now = Clock.Now;
            var c = Count;
            if (c != last) (last, lastChange) = (c, now);
            else if (Clock.Seconds(lastChange, now) > stall.TotalSeconds)
                throw new TimeoutException($"{label}: no outcome for {stall.TotalSeconds:0} s ({c}/{total} arrived)");
            if (Clock.Seconds(lastReport, now) >= 10)
            {
                Console.Error.WriteLine($"  {label}: {c:N0}/{total:N0} outcomes");
                lastReport = now;
            }
        }
    }

    public void Dispose()
    {
        foreach (var listener in _listeners) listener.Tell(PoisonPill.Instance);
    }

    private void Record(GatewayProtocol.MessageOutcome o)
    {
        _outcomes[o.MessageId] = new Outcome(Clock.Now, o.Outcome);
        Interlocked.Increment(ref _count);
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(OutcomeRecorder owner) => Receive<GatewayProtocol.MessageOutcome>(owner.Record);
    }
}

/// <summary>Counts Akka log events per level and keeps a few unexpected warnings/errors for the report, instead of printing them.</summary>
public static class LogCounts
{
    private static readonly int[] Counts = new int[4];
    private static readonly ConcurrentQueue<string> Samples = new();
    private static int _samples;
    private static int _expectedPoison;

    /// <summary>Warnings and errors about the benchmark's own poison messages are expected; they are counted apart.</summary>
    public const string ExpectedPoison = "GW-MAP-BLANK-DISPLAY-NAME";

    public static void Reset()
    {
        for (var i = 0; i < Counts.Length; i++) Interlocked.Exchange(ref Counts[i], 0);
        Samples.Clear();
        Interlocked.Exchange(ref _samples, 0);
        Interlocked.Exchange(ref _expectedPoison, 0);
    }

    public static void Record(LogEvent e)
    {
        var level = (int)e.LogLevel();
        if (level is >= 0 and < 4) Interlocked.Increment(ref Counts[level]);
        if (e.LogLevel() < Akka.Event.LogLevel.WarningLevel) return;
        var text = e.ToString();
        if (text.Contains(ExpectedPoison, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _expectedPoison);
            return;
        }
        if (Interlocked.Increment(ref _samples) <= 5) Samples.Enqueue(text.Length > 400 ? text[..400] : text);
    }

    public static Dictionary<string, object?> ToJson() => new()
    {
        ["info"] = Volatile.Read(ref Counts[(int)Akka.Event.LogLevel.InfoLevel]),
        ["warning"] = Volatile.Read(ref Counts[(int)Akka.Event.LogLevel.WarningLevel]),
        ["error"] = Volatile.Read(ref Counts[(int)Akka.Event.LogLevel.ErrorLevel]),
        ["expected_poison_warnings_and_errors"] = Volatile.Read(ref _expectedPoison),
        ["other_warnings_and_errors"] = Volatile.Read(ref _samples),
        ["first_other_warnings_and_errors"] = Samples.ToList(),
    };
}

/// <summary>The Akka logger configured by <see cref="BenchNode.BaseHocon"/>.</summary>
public sealed class CountingLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public CountingLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(LogCounts.Record);
    }
}

/// <summary>A transport whose deliveries never complete (until the node stops): holds every message in flight (B5).</summary>
public sealed class BlockingTransport : IMessageTransport
{
    private int _entered;

    public string Name => "spool";

    public int Entered => Volatile.Read(ref _entered);

    public async Task<DeliveryReceipt> DeliverAsync(MessageId id, ReadOnlyMemory<byte> content, OutboundEnvelope envelope, CancellationToken ct)
    {
        Interlocked.Increment(ref _entered);
        await Task.Delay(Timeout.Infinite, ct);
        throw new OperationCanceledException(ct);
    }
}

/// <summary>A fresh database on the --postgres server for one run, dropped afterwards.</summary>
public sealed class BenchDatabase : IDisposable
{
    private readonly string _server;
    private readonly string _name;

    private BenchDatabase(string server, string name, string connectionString)
    {
        _server = server;
        _name = name;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static BenchDatabase Create(string server)
    {
        var name = "bench_" + Guid.NewGuid().ToString("N")[..12];
        using (var connection = new Npgsql.NpgsqlConnection(server))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {name}";
            command.ExecuteNonQuery();
        }
        return new BenchDatabase(server, name, new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString);
    }

    /// <summary>Rows in the journal table now, and the highest ordering (rows ever inserted).</summary>
    public (long Count, long MaxOrdering) JournalRows()
    {
        using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*), coalesce(max(ordering), 0) FROM journal";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public void Dispose()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        try
        {
            using var connection = new Npgsql.NpgsqlConnection(_server);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"DROP DATABASE IF EXISTS {_name} WITH (FORCE)";
            command.ExecuteNonQuery();
        }
        catch (Npgsql.NpgsqlException ex)
        {
            Console.Error.WriteLine($"  (benchmark database {_name} was not dropped: {ex.Message})");
        }
    }
}
