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

    /// <summary>A HOCON string literal.</summary>
    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
