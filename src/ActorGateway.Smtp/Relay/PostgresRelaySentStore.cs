using System.Text;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Storage;
using ActorGateway.Domain.Messages;
using Npgsql;
using NpgsqlTypes;

namespace ActorGateway.Smtp.Relay;

/// <summary>
/// The shared <see cref="IRelaySentStore"/>: one row per message id in a PostgreSQL table
/// (<c>actor-gateway.postgres.relay-sent-table</c>; the record as jsonb), upserted in its own transaction, so a write
/// has committed (and is durable, at the server's synchronous_commit) before <see cref="WriteAsync"/> completes. Every
/// node reads the same rows: a message that fails over after a partial relay is not sent twice to settled recipients.
/// </summary>
public sealed class PostgresRelaySentStore : IRelaySentStore, IDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly string _table;
    private readonly string _where;

    /// <param name="connectionString">Npgsql connection string.</param>
    /// <param name="table">The table (created when missing); see <see cref="PostgresSettings.RequireTableName"/>.</param>
    /// <exception cref="PostgresSetupException">The table could not be created: the database is not usable.</exception>
    public PostgresRelaySentStore(string connectionString, string table)
    {
        PostgresSettings.RequireTableName(table, "relay-sent-table");
        var builder = PostgresSetup.Parse(connectionString);
        _where = PostgresSetup.Describe(builder);
        _table = table;
        _source = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            using var command = _source.CreateCommand(PostgresSetup.RelaySentTableDdl(table));
            command.ExecuteNonQuery();
        }
        catch (Exception ex)
        {
            _source.Dispose();
            throw PostgresSetup.Classify(ex, _where, TimeSpan.FromSeconds(builder.Timeout));
        }
    }

    public string Table => _table;

    /// <inheritdoc />
    public async Task<RelaySentRecord?> ReadAsync(MessageId id, CancellationToken ct)
    {
        await using var command = _source.CreateCommand($"SELECT record::text FROM {_table} WHERE message_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id.Value, NpgsqlDbType = NpgsqlDbType.Text });
        object? found;
        try
        {
            found = await command.ExecuteScalarAsync(ct);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            // Unreachable or a broken connection: transient, the delivery is tried again.
            throw new IOException($"relay sent-marker read of {id} from {_table} at {_where} failed: {ex.Message}", ex);
        }
        return found is string json ? RelaySentJson.Deserialize(Encoding.UTF8.GetBytes(json), $"relay sent-marker of {id} in {_table}") : null;
    }

    public async Task WriteAsync(RelaySentRecord record, CancellationToken ct)
    {
        var id = MessageId.Parse(record.MessageId);
        await using var command = _source.CreateCommand(
            $"INSERT INTO {_table} (message_id, recorded_at, record) VALUES ($1, $2, $3) " +
            "ON CONFLICT (message_id) DO UPDATE SET recorded_at = EXCLUDED.recorded_at, record = EXCLUDED.record");
        command.Parameters.Add(new NpgsqlParameter { Value = id.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = record.RecordedAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = Encoding.UTF8.GetString(RelaySentJson.Serialize(record)), NpgsqlDbType = NpgsqlDbType.Jsonb });
        try
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            throw new IOException($"relay sent-marker write of {id} to {_table} at {_where} failed: {ex.Message}", ex);
        }
    }

    public void Dispose() => _source.Dispose();
}
