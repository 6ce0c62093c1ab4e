using Akka.Configuration;
using Akka.Persistence.Sql;

namespace ActorGateway.Actors.Configuration;

/// <summary>Where a node keeps its journal, snapshots, content and relay markers (<c>actor-gateway.storage</c>).</summary>
public enum StorageKind
{
    /// <summary>SQLite files under the data directory: one node.</summary>
    Sqlite,

    /// <summary>One PostgreSQL database shared by every node.</summary>
    Postgres,
}

/// <summary>The storage a node is started on, with what that storage needs from the command line.</summary>
/// <param name="PostgresConnectionString">The Npgsql connection string; required for <see cref="StorageKind.Postgres"/>, ignored otherwise.</param>
public sealed record StorageChoice(StorageKind Kind, string? PostgresConnectionString)
{
    public static StorageChoice Sqlite { get; } = new(StorageKind.Sqlite, null);

    public static StorageChoice Postgres(string connectionString) => new(StorageKind.Postgres, connectionString);

    /// <summary>The HOCON value of <c>actor-gateway.storage</c> (and of <c>--storage</c>).</summary>
    public static string Name(StorageKind kind) => kind switch
    {
        StorageKind.Sqlite => "sqlite",
        StorageKind.Postgres => "postgres",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Parses <c>sqlite</c> or <c>postgres</c> (any case).</summary>
    public static bool TryParseKind(string? text, out StorageKind kind)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "sqlite":
                kind = StorageKind.Sqlite;
                return true;
            case "postgres":
                kind = StorageKind.Postgres;
                return true;
            default:
                kind = default;
                return false;
        }
    }
}

/// <summary>
/// Loads the HOCON files shipped in <c>hocon/</c> next to the binaries and layers them in one
/// place (<see cref="For"/>): overrides → generated settings (data directory, connection strings) → the storage file
/// (sqlite.conf or postgres.conf) → gateway.conf → plugin defaults.
/// </summary>
public static class GatewayConfig
{
    public const string SqliteJournalFile = "gateway.db";
    public const string SqliteSnapshotFile = "snapshots.db";

    public static string HoconDirectory => Path.Combine(AppContext.BaseDirectory, "hocon");

    public static Config LoadFile(string name)
    {
        var path = Path.Combine(HoconDirectory, name);
        if (!File.Exists(path)) throw new FileNotFoundException($"HOCON file '{path}' is missing from the installation", path);
        return ConfigurationFactory.ParseString(File.ReadAllText(path));
    }

    /// <summary>The full configuration for a node on the embedded SQLite default.</summary>
    /// <param name="dataDir">Absolute data directory.</param>
    /// <param name="overrides">Highest-priority settings (CLI options, tests), or null.</param>
    public static Config ForSqlite(string dataDir, Config? overrides = null) => For(dataDir, StorageChoice.Sqlite, overrides);

    /// <summary>The full configuration for a node whose journal, snapshots and content live in PostgreSQL.</summary>
    /// <param name="dataDir">Absolute data directory (logs, lock, pickup, outbound spool, badmail).</param>
    /// <param name="connectionString">Npgsql connection string, for the three persistence plugins and the content store.</param>
    /// <param name="overrides">Highest-priority settings (CLI options, tests), or null.</param>
    public static Config ForPostgres(string dataDir, string connectionString, Config? overrides = null) =>
        For(dataDir, StorageChoice.Postgres(connectionString), overrides);

    /// <summary>The full configuration for a node: the one place where the layers are stacked.</summary>
    /// <param name="dataDir">Absolute data directory.</param>
    /// <param name="storage">Where the journal, snapshots and content live.</param>
    /// <param name="overrides">Highest-priority settings (CLI options, tests), or null.</param>
    /// <param name="cluster">This node's place in a cluster (hocon/cluster.conf and its address), or null to run alone.</param>
    public static Config For(string dataDir, StorageChoice storage, Config? overrides = null, ClusterChoice? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        // Most specific first; a cluster layer (cluster.conf) goes in front of the storage file.
        var (generated, files) = storage.Kind switch
        {
            StorageKind.Sqlite => (SqliteGenerated(dataDir), new[] { "sqlite.conf" }),
            StorageKind.Postgres => (PostgresGenerated(dataDir, storage.PostgresConnectionString), new[] { "postgres.conf" }),
            _ => throw new ArgumentOutOfRangeException(nameof(storage)),
        };
        var config = cluster is null ? generated : generated.WithFallback(ClusterLayer(cluster, storage.Kind));
        foreach (var file in files.Append("gateway.conf")) config = config.WithFallback(LoadFile(file));
        config = config.WithFallback(SqlPersistence.DefaultConfiguration);
        return overrides is null ? config : overrides.WithFallback(config);
    }

    /// <summary>The storage a configuration names (<c>actor-gateway.storage</c>).</summary>
    public static StorageKind StorageOf(Config config)
    {
        var text = config.GetString("actor-gateway.storage", "sqlite");
        return StorageChoice.TryParseKind(text, out var kind)
            ? kind
            : throw new ConfigurationException($"actor-gateway.storage = '{text}' is neither sqlite nor postgres");
    }

    public static string SqliteConnectionString(string file) => $"Data Source={file};Pooling=True";

    /// <summary>The name of every node's ActorSystem: seed-node addresses are <c>akka.tcp://actor-gateway@HOST:PORT</c>.</summary>
    public const string SystemName = "actor-gateway";

    /// <summary>
    /// The cluster layer: hocon/cluster.conf with this node's address and its seed nodes. It goes above the storage file and
    /// below the operator's overrides. On PostgreSQL, the shards and the singletons hold a lease (<c>actor-gateway.cluster.lease</c>,
    /// an advisory lock on the shared database) before they start: a partition or a singleton never runs on two nodes at once.
    /// A SQLite cluster is one node (a test's), where no other node could take a lease.
    /// </summary>
    public static Config ClusterLayer(ClusterChoice cluster, StorageKind storage)
    {
        var seeds = string.Join(", ", cluster.Seeds.Select(s => Quote($"akka.tcp://{SystemName}@{s}")));
        var lease = storage == StorageKind.Postgres ? Quote(LeaseConfigPath) : "\"\"";
        return ConfigurationFactory.ParseString($$"""
            akka.remote.dot-netty.tcp.public-hostname = {{Quote(cluster.Host)}}
            akka.remote.dot-netty.tcp.port = {{cluster.Port}}
            akka.cluster.seed-nodes = [{{seeds}}]
            akka.cluster.sharding.use-lease = {{lease}}
            akka.cluster.singleton.use-lease = {{lease}}
            """).WithFallback(LoadFile("cluster.conf"));
    }

    /// <summary>The lease block of a clustered node on PostgreSQL (hocon/cluster.conf).</summary>
    public const string LeaseConfigPath = "actor-gateway.cluster.lease";

    /// <summary>A HOCON string literal.</summary>
    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static Config SqliteGenerated(string dataDir)
    {
        var journal = SqliteConnectionString(Path.Combine(dataDir, SqliteJournalFile));
        var snapshots = SqliteConnectionString(Path.Combine(dataDir, SqliteSnapshotFile));
        return ConfigurationFactory.ParseString($$"""
            actor-gateway.data-dir = {{Quote(dataDir)}}
            actor-gateway.storage = sqlite
            akka.persistence.journal.sql.connection-string = {{Quote(journal)}}
            akka.persistence.query.journal.sql.connection-string = {{Quote(journal)}}
            akka.persistence.snapshot-store.sql.connection-string = {{Quote(snapshots)}}
            akka.persistence.journal.sharding.connection-string = {{Quote(journal)}}
            akka.persistence.snapshot-store.sharding.connection-string = {{Quote(snapshots)}}
            """);
    }

    private static Config PostgresGenerated(string dataDir, string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ConfigurationException("storage postgres needs a connection string (gateway run --postgres, or $GATEWAY_POSTGRES)");
        }
        var quoted = Quote(connectionString);
        return ConfigurationFactory.ParseString($$"""
            actor-gateway.data-dir = {{Quote(dataDir)}}
            actor-gateway.storage = postgres
            actor-gateway.postgres.connection-string = {{quoted}}
            akka.persistence.journal.sql.connection-string = {{quoted}}
            akka.persistence.query.journal.sql.connection-string = {{quoted}}
            akka.persistence.snapshot-store.sql.connection-string = {{quoted}}
            akka.persistence.journal.sharding.connection-string = {{quoted}}
            akka.persistence.snapshot-store.sharding.connection-string = {{quoted}}
            """);
    }
}

/// <summary>Where this node is reachable in the cluster, and the seed nodes it joins through (<c>HOST:PORT</c> each).</summary>
public sealed record ClusterChoice(string Host, int Port, IReadOnlyList<string> Seeds)
{
    /// <summary>Parses <c>--cluster-seeds</c> (<c>HOST:PORT,HOST:PORT</c>).</summary>
    /// <exception cref="FormatException">A seed is not HOST:PORT with a port 1-65535.</exception>
    public static IReadOnlyList<string> ParseSeeds(string text)
    {
        var seeds = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part[(colon + 1)..], out var port) || port is < 1 or > 65535)
                throw new FormatException($"cluster seed '{part}' is not HOST:PORT");
            seeds.Add(part);
        }
        if (seeds.Count == 0) throw new FormatException("--cluster-seeds names no seed node");
        return seeds;
    }
}
