using Akka.Configuration;
using Akka.Persistence.Sql;

namespace ActorGateway.Actors.Configuration;

/// <summary>
/// Loads the HOCON files shipped in <c>hocon/</c> next to the binaries and layers them in one
/// place: overrides → storage (with the data-dir-derived connection strings) → base → plugin defaults.
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
    public static Config ForSqlite(string dataDir, Config? overrides = null)
    {
        var journal = SqliteConnectionString(Path.Combine(dataDir, SqliteJournalFile));
        var snapshots = SqliteConnectionString(Path.Combine(dataDir, SqliteSnapshotFile));
        var paths = ConfigurationFactory.ParseString($$"""
            actor-gateway.data-dir = {{Quote(dataDir)}}
            akka.persistence.journal.sql.connection-string = {{Quote(journal)}}
            akka.persistence.query.journal.sql.connection-string = {{Quote(journal)}}
            akka.persistence.snapshot-store.sql.connection-string = {{Quote(snapshots)}}
            """);
        var config = paths.WithFallback(LoadFile("sqlite.conf")).WithFallback(LoadFile("gateway.conf")).WithFallback(SqlPersistence.DefaultConfiguration);
        return overrides is null ? config : overrides.WithFallback(config);
    }

    public static string SqliteConnectionString(string file) => $"Data Source={file};Pooling=True";

    /// <summary>The name of every node's ActorSystem: seed-node addresses are <c>akka.tcp://actor-gateway@HOST:PORT</c>.</summary>
    public const string SystemName = "actor-gateway";

    /// <summary>
    /// The cluster layer: hocon/cluster.conf with this node's address and its seed nodes. It goes above the storage file and
    /// below the operator's overrides.
    /// </summary>
    public static Config ClusterLayer(ClusterChoice cluster)
    {
        var seeds = string.Join(", ", cluster.Seeds.Select(s => Quote($"akka.tcp://{SystemName}@{s}")));
        return ConfigurationFactory.ParseString($$"""
            akka.remote.dot-netty.tcp.public-hostname = {{Quote(cluster.Host)}}
            akka.remote.dot-netty.tcp.port = {{cluster.Port}}
            akka.cluster.seed-nodes = [{{seeds}}]
            """).WithFallback(LoadFile("cluster.conf"));
    }

    /// <summary>A HOCON string literal.</summary>
    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
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
