using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using ActorGateway.Actors.Configuration;
using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using Npgsql;
using NpgsqlTypes;

namespace ActorGateway.Actors.Storage;

/// <summary>
/// The shared content store: one table in PostgreSQL (<c>actor-gateway.postgres.content-table</c>), so a message's
/// bytes are readable from every node (a message may fail over to a node that never saw them). Group-committed exactly
/// like <see cref="SqliteContentStore"/>: writes and deletes from every caller go into a channel, ONE writer takes
/// whatever is queued when it is free (up to a message and a byte cap) and commits it in one transaction, sent as one
/// batch of statements (one round trip, one WAL flush). A write's task completes only after its batch committed; a
/// failed commit fails every write in that batch, and none of them is stored.
/// </summary>
/// <remarks>
/// Reads open their own connections (Npgsql pools them). The writer keeps one connection and, after any failure, opens
/// a new one for the next batch, so a restarted server or a dropped connection costs only the batch it hit.
/// </remarks>
public sealed class PostgresContentStore : IContentStore
{
    private readonly Channel<Op> _ops = Channel.CreateUnbounded<Op>(new UnboundedChannelOptions { SingleReader = true });
    private readonly NpgsqlDataSource _reads;
    private readonly string _writerConnectionString;
    private readonly string _table;
    private readonly string _where;
    private readonly int _maxBatchMessages;
    private readonly long _maxBatchBytes;
    private readonly Task _writer;

    /// <summary>Ids whose delete is queued and not yet committed, with the sequence of that delete request.</summary>
    private readonly ConcurrentDictionary<MessageId, long> _pendingDeletes = new();
    private long _deleteSequence;

    /// <param name="connectionString">Npgsql connection string.</param>
    /// <param name="table">The content table (created when missing); see <see cref="PostgresSettings.RequireTableName"/>.</param>
    /// <param name="maxBatchMessages">Most writes and deletes in one transaction.</param>
    /// <param name="maxBatchBytes">Most content bytes in one transaction (a single larger message is committed alone).</param>
    /// <exception cref="PostgresSetupException">The table could not be created: the database is not usable.</exception>
    public PostgresContentStore(string connectionString, string table, int maxBatchMessages, long maxBatchBytes)
    {
        if (maxBatchMessages < 1) throw new ArgumentOutOfRangeException(nameof(maxBatchMessages));
        if (maxBatchBytes < 1) throw new ArgumentOutOfRangeException(nameof(maxBatchBytes));
        PostgresSettings.RequireTableName(table, "content-table");
        var builder = PostgresSetup.Parse(connectionString);
        _where = PostgresSetup.Describe(builder);
        _table = table;
        _maxBatchMessages = maxBatchMessages;
        _maxBatchBytes = maxBatchBytes;
        _reads = NpgsqlDataSource.Create(builder.ConnectionString);
        // The writer's connection is its own (not from the readers' pool): dropping it after a failure never clears theirs.
        _writerConnectionString = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Pooling = false, ApplicationName = "actor-gateway content writer" }.ConnectionString;

        NpgsqlConnection connection;
        try
        {
            connection = OpenWriter();
        }
        catch (Exception ex)
        {
            _reads.Dispose();
            throw PostgresSetup.Classify(ex, _where, TimeSpan.FromSeconds(builder.Timeout));
        }
        _writer = Task.Factory.StartNew(() => RunWriterAsync(connection), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public string Table => _table;

    /// <summary>TESTS ONLY: called with each batch's size after its statements ran, before it commits; an exception it throws fails that batch as a failed commit would.</summary>
    internal Action<int>? BeforeCommit { get; set; }

    public Task WriteAsync(MessageId id, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A write after a delete of the same id (a resubmission): it exists again.
        _pendingDeletes.TryRemove(id, out _);
        if (!_ops.Writer.TryWrite(new Op(id, Bytes(content), done, 0)))
        {
            done.SetException(new IOException($"the content store {_table} at {_where} is closed"));
        }
        return done.Task;
    }

    public async Task<byte[]> ReadAsync(MessageId id, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        if (!_pendingDeletes.ContainsKey(id))
        {
            object? bytes;
            try
            {
                await using var command = _reads.CreateCommand($"SELECT bytes FROM {_table} WHERE id = $1");
                command.Parameters.Add(new NpgsqlParameter { Value = id.Value, NpgsqlDbType = NpgsqlDbType.Text });
                bytes = await command.ExecuteScalarAsync(ct);
            }
            catch (NpgsqlException ex)
            {
                // The database is down or the connection broke: transient, the read is tried again.
                throw new IOException($"content store read of {id} from {_table} at {_where} failed: {ex.Message}", ex);
            }
            if (bytes is byte[] found) return found;
        }
        throw new PermanentMessageException(ReasonCodes.ContentMissing, $"original content of {id} is missing from {_table} at {_where}");
    }

    public bool Exists(MessageId id)
    {
        if (_pendingDeletes.ContainsKey(id)) return false;
        try
        {
            using var command = _reads.CreateCommand($"SELECT 1 FROM {_table} WHERE id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = id.Value, NpgsqlDbType = NpgsqlDbType.Text });
            return command.ExecuteScalar() is not null;
        }
        catch (NpgsqlException ex)
        {
            throw new IOException($"content store lookup of {id} in {_table} at {_where} failed: {ex.Message}", ex);
        }
    }

    public void Delete(MessageId id)
    {
        var sequence = Interlocked.Increment(ref _deleteSequence);
        _pendingDeletes[id] = sequence;
        if (!_ops.Writer.TryWrite(new Op(id, null, null, sequence))) _pendingDeletes.TryRemove(new KeyValuePair<MessageId, long>(id, sequence));
    }

    /// <summary>Stops taking requests, commits what is queued and closes the connections.</summary>
    public void Dispose()
    {
        if (_ops.Writer.TryComplete())
        {
            _writer.GetAwaiter().GetResult();
            _reads.Dispose();
        }
    }

    private static byte[] Bytes(ReadOnlyMemory<byte> content) =>
        MemoryMarshal.TryGetArray(content, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : content.ToArray();

    private NpgsqlConnection OpenWriter()
    {
        var connection = new NpgsqlConnection(_writerConnectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = PostgresSetup.ContentTableDdl(_table);
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private async Task RunWriterAsync(NpgsqlConnection? connection)
    {
        var batch = new List<Op>(_maxBatchMessages);
        var reader = _ops.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
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
                    connection ??= OpenWriter();
                    await CommitAsync(connection, batch);
                }
                catch (Exception ex)
                {
                    failure = ex as IOException ?? new IOException($"content store commit of {batch.Count} request(s) to {_table} at {_where} failed: {ex.Message}", ex);
                    // Whatever broke (the server restarted, the connection dropped), the next batch starts on a new connection.
                    if (connection is not null) await connection.DisposeAsync();
                    connection = null;
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
        finally
        {
            if (connection is not null) await connection.DisposeAsync();
        }
    }

    private async Task CommitAsync(NpgsqlConnection connection, List<Op> batch)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using var statements = new NpgsqlBatch(connection, transaction);
        foreach (var op in batch)
        {
            var statement = new NpgsqlBatchCommand(op.Bytes is not null
                ? $"INSERT INTO {_table} (id, bytes) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET bytes = EXCLUDED.bytes"
                : $"DELETE FROM {_table} WHERE id = $1");
            statement.Parameters.Add(new NpgsqlParameter { Value = op.Id.Value, NpgsqlDbType = NpgsqlDbType.Text });
            if (op.Bytes is not null) statement.Parameters.Add(new NpgsqlParameter { Value = op.Bytes, NpgsqlDbType = NpgsqlDbType.Bytea });
            statements.BatchCommands.Add(statement);
        }
        await statements.ExecuteNonQueryAsync();
        BeforeCommit?.Invoke(batch.Count);
        await transaction.CommitAsync();
    }

    /// <summary>A write (Bytes and Done set) or a delete (DeleteSequence set).</summary>
    private sealed record Op(MessageId Id, byte[]? Bytes, TaskCompletionSource? Done, long DeleteSequence);
}
