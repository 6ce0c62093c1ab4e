using Microsoft.Data.Sqlite;

namespace ActorGateway.Actors.Storage;

/// <summary>One-time preparation of the SQLite files before the ActorSystem opens them.</summary>
public static class SqliteSetup
{
    /// <summary>
    /// Puts the journal file in WAL mode (it cannot be set in the connection string; once set it
    /// stays). WAL lets CLI readers inspect the journal while the service writes.
    /// </summary>
    public static void EnableWal(string file)
    {
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        var mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"could not switch {file} to WAL mode (got '{mode}')");
        }
    }
}
