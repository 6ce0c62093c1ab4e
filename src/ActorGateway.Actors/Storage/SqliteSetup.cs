using Microsoft.Data.Sqlite;

namespace ActorGateway.Actors.Storage;

/// <summary>One-time preparation of the SQLite files before the ActorSystem opens them.</summary>
public static class SqliteSetup
{
    /// <summary>How long start-up and CLI checks wait on a locked database before reporting it (seconds).</summary>
    public const int BusyTimeoutSeconds = 5;

    /// <summary>
    /// Opens the journal read-only and reads one row, so that a locked or foreign file is reported
    /// at once (as a <see cref="SqliteException"/>) rather than as a query time-out deep in Akka.
    /// </summary>
    /// <returns>False when the file holds no journal table.</returns>
    public static bool CheckReadable(string file)
    {
        using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False;Default Timeout={BusyTimeoutSeconds}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'journal'";
        if (Convert.ToInt64(command.ExecuteScalar()) == 0) return false;
        command.CommandText = "SELECT ordering FROM journal LIMIT 1";
        command.ExecuteScalar();
        return true;
    }

    /// <summary>
    /// Puts the journal file in WAL mode (it cannot be set in the connection string; once set it
    /// stays). WAL lets CLI readers inspect the journal while the service writes.
    /// </summary>
    public static void EnableWal(string file)
    {
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False;Default Timeout={BusyTimeoutSeconds}");
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
