using System.Text.Json;
using ActorGateway.Domain;
using Microsoft.Data.Sqlite;

namespace ActorGateway.Actors.Storage;

/// <summary>A data directory that must not be started as it is; carries a stable code for the operator.</summary>
public sealed class DataDirectoryException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// The data directory remembers its journal, so a journal that went missing, was truncated or was swapped
/// is noticed instead of silently starting empty (which would orphan every accepted message):
/// <list type="bullet">
/// <item>the journal holds its identity (a random id, in the table <c>gateway_journal_identity</c>);</item>
/// <item><c>{data-dir}/gateway-data.json</c> names the journal file and that id; it is written once the journal has it.</item>
/// </list>
/// At start the two must agree. A journal that is missing, empty (0 bytes) or a different one while the marker
/// names another, or no journal while the content store holds messages, refuses the start with
/// <see cref="ReasonCodes.JournalMissing"/>, unless the operator asks for a new journal on purpose.
/// A data directory from before the marker, with a journal, is adopted.
/// </summary>
public static class DataDirMarker
{
    public const string FileName = "gateway-data.json";
    private const string IdentityTable = "gateway_journal_identity";

    private sealed record Marker(string Journal, string JournalId, DateTimeOffset Created);

    /// <param name="journalFile">The journal's SQLite file (absolute).</param>
    /// <param name="contentDb">The content store's SQLite file (absolute).</param>
    /// <param name="contentDir">The content store's directory from before content.db (absolute), still read.</param>
    /// <param name="newJournal">The operator asked to start a fresh journal whatever is found (<c>--new-journal</c>).</param>
    /// <param name="report">Receives (code, text) when a new journal replaces a missing or different one on purpose.</param>
    /// <exception cref="DataDirectoryException">GW-JOURNAL-MISSING: the journal is not the one this data directory had.</exception>
    public static void Verify(string dataDir, string journalFile, string contentDb, string contentDir, bool newJournal, Action<string, string>? report = null)
    {
        var markerPath = Path.Combine(dataDir, FileName);
        var marker = ReadMarker(markerPath);
        var (found, journalId, rows) = Inspect(journalFile);
        var name = Path.GetFileName(journalFile);

        if (marker is not null && journalId == marker.JournalId) return;

        string? problem = null;
        if (marker is not null)
        {
            problem = $"{FileName} names journal {marker.JournalId} in {marker.Journal} (created {marker.Created:u}), but {name} is {found}";
        }
        else if (journalId is null && rows == 0)
        {
            var content = SqliteContentStore.CountStored(contentDb, contentDir);
            if (content > 0) problem = $"the content store {contentDb} holds {content} message(s), but {name} is {found}";
        }

        if (problem is not null)
        {
            if (!newJournal)
            {
                throw new DataDirectoryException(ReasonCodes.JournalMissing,
                    $"{problem}. Accepted messages would be lost. Restore {name} (with its -wal file) from a backup, " +
                    "or start a new, empty journal on purpose with --new-journal");
            }
            report?.Invoke(ReasonCodes.JournalMissing, $"{problem}; starting a new journal as asked (--new-journal)");
        }

        // A fresh directory, a journal from before the marker (adopted), a lost marker, or a new journal on purpose.
        var id = journalId is not null && marker is null ? journalId : Guid.NewGuid().ToString("N");
        if (journalId != id) WriteIdentity(journalFile, id);
        WriteMarker(markerPath, new Marker(name, id, DateTimeOffset.UtcNow));
    }

    private static Marker? ReadMarker(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var marker = JsonSerializer.Deserialize<Marker>(File.ReadAllText(path), JsonOptions);
            if (marker is { JournalId.Length: > 0 }) return marker;
        }
        catch (JsonException)
        {
        }
        throw new DataDirectoryException(ReasonCodes.JournalMissing,
            $"{path} is not a valid data directory marker; restore it from a backup, or start a new journal on purpose with --new-journal");
    }

    /// <returns>What the journal file is (for the message), its identity if it has one, and its journal rows.</returns>
    private static (string Found, string? Id, long Rows) Inspect(string journalFile)
    {
        var info = new FileInfo(journalFile);
        if (!info.Exists) return ("missing", null, 0);
        if (info.Length == 0) return ("empty (0 bytes)", null, 0);
        using var connection = new SqliteConnection($"Data Source={journalFile};Mode=ReadOnly;Pooling=False;Default Timeout={SqliteSetup.BusyTimeoutSeconds}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('{IdentityTable}', 'journal')";
        var tables = new HashSet<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) tables.Add(reader.GetString(0));
        }
        long rows = 0;
        if (tables.Contains("journal"))
        {
            command.CommandText = "SELECT count(*) FROM (SELECT 1 FROM journal LIMIT 1)";
            rows = Convert.ToInt64(command.ExecuteScalar());
        }
        if (!tables.Contains(IdentityTable)) return (rows > 0 ? "a journal without an identity" : "a new, empty journal", null, rows);
        command.CommandText = $"SELECT id FROM {IdentityTable} LIMIT 1";
        var id = command.ExecuteScalar() as string;
        return (id is null ? "a journal without an identity" : $"a different journal ({id})", id, rows);
    }

    private static void WriteIdentity(string journalFile, string id)
    {
        using var connection = new SqliteConnection($"Data Source={journalFile};Pooling=False;Default Timeout={SqliteSetup.BusyTimeoutSeconds}");
        connection.Open();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"CREATE TABLE IF NOT EXISTS {IdentityTable} (id TEXT NOT NULL); DELETE FROM {IdentityTable}; INSERT INTO {IdentityTable} (id) VALUES ($id);";
        command.Parameters.AddWithValue("$id", id);
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    private static void WriteMarker(string path, Marker marker)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, marker, JsonOptions);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        DurableFile.SyncDirectory(Path.GetDirectoryName(path)!);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
