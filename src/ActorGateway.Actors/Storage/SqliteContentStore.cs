using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using Microsoft.Data.Sqlite;

namespace ActorGateway.Actors.Storage;

/// <summary>
/// The embedded content store: one table in a SQLite file of its own (<c>{data-dir}/content.db</c>, WAL,
/// <c>synchronous=FULL</c>), written by ONE batching writer. Writes and deletes from every caller go into a channel;
/// the writer takes whatever is queued when it is free (up to a message and a byte cap) and commits it in one
/// transaction, so one fsync covers the whole batch. A writer's task completes only after its batch committed; a
/// failed commit fails every write in that batch, and none of them is stored.
/// </summary>
/// <remarks>
/// Data directories from before this store kept one file per message under <c>content.dir</c>. Those are read where
/// they are (<see cref="ReadAsync"/> and <see cref="Exists"/> fall back to the file, <see cref="Delete"/> removes it),
/// and nothing new is written there; once that directory holds no message the fallback is switched off at start.
/// </remarks>
public sealed class SqliteContentStore : IContentStore
{
    private readonly Channel<Op> _ops = Channel.CreateUnbounded<Op>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string _readConnectionString;
    private readonly string? _legacyDirectory;
    private readonly int _maxBatchMessages;
    private readonly long _maxBatchBytes;
    private readonly Thread _writer;

    /// <summary>Ids whose delete is queued and not yet committed, with the sequence of that delete request.</summary>
    private readonly ConcurrentDictionary<MessageId, long> _pendingDeletes = new();
    private long _deleteSequence;

    /// <param name="databaseFile">The SQLite file (created when missing).</param>
    /// <param name="legacyDirectory">The old one-file-per-message directory, read as a fallback while it holds messages; null for none.</param>
    /// <param name="maxBatchMessages">Most writes and deletes in one transaction.</param>
    /// <param name="maxBatchBytes">Most content bytes in one transaction (a single larger message is committed alone).</param>
    public SqliteContentStore(string databaseFile, string? legacyDirectory, int maxBatchMessages, long maxBatchBytes)
    {
        if (maxBatchMessages < 1) throw new ArgumentOutOfRangeException(nameof(maxBatchMessages));
        if (maxBatchBytes < 1) throw new ArgumentOutOfRangeException(nameof(maxBatchBytes));
        DatabaseFile = Path.GetFullPath(databaseFile);
        Directory.CreateDirectory(Path.GetDirectoryName(DatabaseFile)!);
        _maxBatchMessages = maxBatchMessages;
        _maxBatchBytes = maxBatchBytes;
        _legacyDirectory = legacyDirectory is not null && Directory.Exists(legacyDirectory) && Directory.EnumerateFiles(legacyDirectory, "*.eml").Any()
            ? legacyDirectory
            : null;
        _readConnectionString = new SqliteConnectionStringBuilder { DataSource = DatabaseFile, Mode = SqliteOpenMode.ReadWrite, DefaultTimeout = 30 }.ToString();

        var connection = OpenWriter();
        _writer = new Thread(() => RunWriter(connection)) { IsBackground = true, Name = "content-store-writer" };
        _writer.Start();
    }

    public string DatabaseFile { get; }

    /// <summary>
    /// How many messages a content store holds, read without opening a writer: the rows of <paramref name="databaseFile"/>
    /// plus the files of the <paramref name="legacyDirectory"/> from before it. For start-up checks (a data directory
    /// whose journal went missing while content waits).
    /// </summary>
    public static long CountStored(string databaseFile, string? legacyDirectory)
    {
        long count = legacyDirectory is not null && Directory.Exists(legacyDirectory) ? Directory.EnumerateFiles(legacyDirectory, "*.eml").LongCount() : 0;
        if (!File.Exists(databaseFile) || new FileInfo(databaseFile).Length == 0) return count;
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databaseFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'content'";
        if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0) return count;
        command.CommandText = "SELECT count(*) FROM content";
        return count + Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>TESTS ONLY: called with each batch's size before it commits; an exception it throws fails that batch as a failed commit would.</summary>
    internal Action<int>? BeforeCommit { get; set; }

    public Task WriteAsync(MessageId id, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A write after a delete of the same id (an operator replay of a purged message cannot happen, but a resubmission can): it exists again.
        _pendingDeletes.TryRemove(id, out _);
        if (!_ops.Writer.TryWrite(new Op(id, Bytes(content), done, 0)))
        {
            done.SetException(new IOException($"the content store {DatabaseFile} is closed"));
        }
        return done.Task;
    }

    public Task<byte[]> ReadAsync(MessageId id, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        if (!_pendingDeletes.ContainsKey(id))
        {
            using var connection = new SqliteConnection(_readConnectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT bytes FROM content WHERE id = $id";
            command.Parameters.AddWithValue("$id", id.Value);
            if (command.ExecuteScalar() is byte[] bytes) return Task.FromResult(bytes);
            if (LegacyPath(id) is { } legacy && File.Exists(legacy))
            {
                try
                {
                    return Task.FromResult(File.ReadAllBytes(legacy));
                }
                catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
                {
                }
            }
        }
        throw new PermanentMessageException(ReasonCodes.ContentMissing, $"original content of {id} is missing from {DatabaseFile}");
    }

    public bool Exists(MessageId id)
    {
        if (_pendingDeletes.ContainsKey(id)) return false;
        using var connection = new SqliteConnection(_readConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM content WHERE id = $id";
        command.Parameters.AddWithValue("$id", id.Value);
        return command.ExecuteScalar() is not null || (LegacyPath(id) is { } legacy && File.Exists(legacy));
    }

    public void Delete(MessageId id)
    {
        var sequence = Interlocked.Increment(ref _deleteSequence);
        _pendingDeletes[id] = sequence;
        if (!_ops.Writer.TryWrite(new Op(id, null, null, sequence))) _pendingDeletes.TryRemove(new KeyValuePair<MessageId, long>(id, sequence));
        if (LegacyPath(id) is { } legacy) DurableFile.TryDelete(legacy);
    }

    /// <summary>Stops taking requests, commits what is queued and closes the file.</summary>
    public void Dispose()
    {
        if (_ops.Writer.TryComplete()) _writer.Join();
    }

    private string? LegacyPath(MessageId id) => _legacyDirectory is null ? null : Path.Combine(_legacyDirectory, id.Value + ".eml");

    private static byte[] Bytes(ReadOnlyMemory<byte> content) =>
        MemoryMarshal.TryGetArray(content, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : content.ToArray();

    private SqliteConnection OpenWriter()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = DatabaseFile,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        // WAL: readers never wait for the writer. FULL: every commit is fsynced before its writers hear of it.
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS content (id TEXT NOT NULL PRIMARY KEY, bytes BLOB NOT NULL);
            """;
        command.ExecuteNonQuery();
        return connection;
    }

    private void RunWriter(SqliteConnection connection)
    {
        using var _ = connection;
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT OR REPLACE INTO content (id, bytes) VALUES ($id, $bytes)";
        var insertId = insert.Parameters.Add("$id", SqliteType.Text);
        var insertBytes = insert.Parameters.Add("$bytes", SqliteType.Blob);
        using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM content WHERE id = $id";
        var deleteId = delete.Parameters.Add("$id", SqliteType.Text);

        var batch = new List<Op>(_maxBatchMessages);
        var reader = _ops.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            long bytes = 0;
            while (batch.Count < _maxBatchMessages && (batch.Count == 0 || bytes < _maxBatchBytes) && reader.TryPeek(out var next))
            {
                if (batch.Count > 0 && next.Bytes is not null && bytes + next.Bytes.Length > _maxBatchBytes) break;
                reader.TryRead(out var op);
                batch.Add(op!);
                bytes += op!.Bytes?.Length ?? 0;
            }
            Exception? failure = null;
            try
            {
                using var transaction = connection.BeginTransaction();
                insert.Transaction = transaction;
                delete.Transaction = transaction;
                foreach (var op in batch)
                {
                    if (op.Bytes is not null)
                    {
                        insertId.Value = op.Id.Value;
                        insertBytes.Value = op.Bytes;
                        insert.ExecuteNonQuery();
                    }
                    else
                    {
                        deleteId.Value = op.Id.Value;
                        delete.ExecuteNonQuery();
                    }
                }
                BeforeCommit?.Invoke(batch.Count);
                transaction.Commit();
            }
            catch (Exception ex)
            {
                failure = ex as IOException ?? new IOException($"content store commit of {batch.Count} request(s) failed: {ex.Message}", ex);
            }
            finally
            {
                insertBytes.Value = DBNull.Value;
            }
            foreach (var op in batch)
            {
                if (op.Done is { } done)
                {
                    if (failure is null) done.TrySetResult();
                    else done.TrySetException(failure);
                }
                else
                {
                    // Committed or not, the delete request is over (a failed one leaves bytes behind, which is harmless).
                    _pendingDeletes.TryRemove(new KeyValuePair<MessageId, long>(op.Id, op.DeleteSequence));
                }
            }
        }
    }

    /// <summary>A write (Bytes and Done set) or a delete (DeleteSequence set).</summary>
    private sealed record Op(MessageId Id, byte[]? Bytes, TaskCompletionSource? Done, long DeleteSequence);
}
