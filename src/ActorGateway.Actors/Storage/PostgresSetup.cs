using System.Net.Sockets;
using ActorGateway.Actors.Configuration;
using ActorGateway.Domain;
using Npgsql;

namespace ActorGateway.Actors.Storage;

/// <summary>
/// A PostgreSQL storage problem found at start-up, with its operator-facing code
/// (<see cref="ReasonCodes.PostgresBadConnectionString"/>, <see cref="ReasonCodes.PostgresUnreachable"/>,
/// <see cref="ReasonCodes.PostgresAuthFailed"/>, <see cref="ReasonCodes.PostgresSetupFailed"/>). The message never holds the password.
/// </summary>
public sealed class PostgresSetupException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}

/// <summary>One-time preparation of a PostgreSQL database before the ActorSystem opens it, and the gateway's DDL.</summary>
public static class PostgresSetup
{
    /// <summary>
    /// Parses the connection string; an unparseable one, or one without a Host, is
    /// <see cref="ReasonCodes.PostgresBadConnectionString"/>.
    /// </summary>
    public static NpgsqlConnectionStringBuilder Parse(string? connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString ?? "");
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // Npgsql's message names the keyword or value, never echoes the whole string (which may hold a password).
            throw new PostgresSetupException(ReasonCodes.PostgresBadConnectionString, $"the PostgreSQL connection string cannot be parsed: {ex.Message}", ex);
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new PostgresSetupException(ReasonCodes.PostgresBadConnectionString, "the PostgreSQL connection string names no Host (Host=…;Port=…;Database=…;Username=…)");
        }
        return builder;
    }

    /// <summary>Where a connection string points, for messages: host, port, database and user, never the password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder) =>
        $"{builder.Host}:{builder.Port} database '{builder.Database ?? builder.Username ?? "(default)"}' as '{builder.Username ?? Environment.UserName}'";

    /// <summary>
    /// Checks within <paramref name="timeout"/> that the database can be reached and logged in to, and creates the
    /// gateway's tables when missing (the persistence plugins create theirs: <c>auto-initialize</c> in postgres.conf).
    /// </summary>
    /// <exception cref="PostgresSetupException">With the code of what went wrong; never hangs beyond the timeout.</exception>
    public static void Prepare(string connectionString, TimeSpan timeout, string contentTable, string relaySentTable)
    {
        PostgresSettings.RequireTableName(contentTable, "content-table");
        PostgresSettings.RequireTableName(relaySentTable, "relay-sent-table");
        var builder = Parse(connectionString);
        var where = Describe(builder);
        var seconds = (int)Math.Clamp(Math.Ceiling(timeout.TotalSeconds), 1, 1024);
        builder.Timeout = seconds;
        builder.CommandTimeout = seconds;
        builder.Pooling = false;
        using var cts = new CancellationTokenSource(timeout);
        var work = Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cts.Token);
            await using var command = connection.CreateCommand();
            command.CommandText = ContentTableDdl(contentTable) + ";" + RelaySentTableDdl(relaySentTable);
            await command.ExecuteNonQueryAsync(cts.Token);
        });
        try
        {
            // The connect and command time-outs bound the work; this bounds it again should a driver path ignore them.
            if (!work.Wait(timeout + TimeSpan.FromSeconds(5)))
            {
                throw new PostgresSetupException(ReasonCodes.PostgresUnreachable, $"PostgreSQL at {where} did not answer within {timeout.TotalSeconds:0.#} s");
            }
        }
        catch (AggregateException ex) when (ex.InnerException is not null)
        {
            throw Classify(ex.InnerException, where, timeout);
        }
    }

    /// <summary>Creates the content table when missing: original message bytes by message id.</summary>
    public static string ContentTableDdl(string table) =>
        $"CREATE TABLE IF NOT EXISTS {table} (id text NOT NULL PRIMARY KEY, bytes bytea NOT NULL)";

    /// <summary>Creates the relay's sent-marker table when missing: one record (JSON) per message id.</summary>
    public static string RelaySentTableDdl(string table) =>
        $"CREATE TABLE IF NOT EXISTS {table} (message_id text NOT NULL PRIMARY KEY, recorded_at timestamptz NOT NULL, record jsonb NOT NULL)";

    /// <summary>Turns what opening or preparing the database threw into one coded, password-free error.</summary>
    public static PostgresSetupException Classify(Exception ex, string where, TimeSpan timeout)
    {
        if (ex is PostgresSetupException known) return known;
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // Class 28: invalid authorization (wrong password 28P01, unknown role or no pg_hba.conf entry 28000).
                case PostgresException pg when pg.SqlState.StartsWith("28", StringComparison.Ordinal):
                    return new PostgresSetupException(ReasonCodes.PostgresAuthFailed, $"PostgreSQL at {where} refused the login: {pg.MessageText} ({pg.SqlState})", ex);
                // 57P03: the server is starting up or shutting down; 53300: too many connections. Both pass.
                case PostgresException { SqlState: "57P03" or "53300" } busy:
                    return new PostgresSetupException(ReasonCodes.PostgresUnreachable, $"PostgreSQL at {where} does not accept connections now: {busy.MessageText} ({busy.SqlState})", ex);
                case PostgresException pg:
                    return new PostgresSetupException(ReasonCodes.PostgresSetupFailed, $"PostgreSQL at {where}: {pg.MessageText} ({pg.SqlState})", ex);
                case SocketException socket:
                    return new PostgresSetupException(ReasonCodes.PostgresUnreachable, $"PostgreSQL at {where} cannot be reached: {socket.Message} ({socket.SocketErrorCode})", ex);
                case TimeoutException or OperationCanceledException:
                    return new PostgresSetupException(ReasonCodes.PostgresUnreachable, $"PostgreSQL at {where} did not answer within {timeout.TotalSeconds:0.#} s", ex);
                case ArgumentException or FormatException:
                    return new PostgresSetupException(ReasonCodes.PostgresBadConnectionString, $"the PostgreSQL connection string is not usable: {e.Message}", ex);
            }
        }
        if (ex is NpgsqlException npgsql)
        {
            // The server asked for a password the connection string does not give (Npgsql raises this itself, with no SQLSTATE).
            if (npgsql.Message.Contains("password", StringComparison.OrdinalIgnoreCase))
            {
                return new PostgresSetupException(ReasonCodes.PostgresAuthFailed, $"PostgreSQL at {where} refused the login: {npgsql.Message}", ex);
            }
            return new PostgresSetupException(ReasonCodes.PostgresUnreachable, $"PostgreSQL at {where} cannot be used: {npgsql.Message}", ex);
        }
        return new PostgresSetupException(ReasonCodes.PostgresSetupFailed, $"PostgreSQL at {where}: {ex.GetType().Name}: {ex.Message}", ex);
    }
}
