using ActorGateway.Domain;
using Microsoft.Data.Sqlite;

namespace ActorGateway.Host.Cli;

/// <summary>Process exit codes of the <c>gateway</c> executable.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadArgument = 2;
    public const int DataDirMissing = 3;
    public const int Locked = 4;
    public const int NotFound = 5;
    public const int DataDirReadOnly = 6;
    public const int JournalMissing = 7;
    /// <summary>The PostgreSQL storage cannot be reached now (refused, unknown host, time-out): worth starting again later.</summary>
    public const int StorageUnreachable = 8;
    /// <summary>The PostgreSQL storage refused the gateway (login, permission, no such database): fix the configuration first.</summary>
    public const int StorageRefused = 9;
    /// <summary>The node did not become a cluster member through its seed nodes in time (GW-CLUSTER-JOIN-FAILED).</summary>
    public const int ClusterJoinFailed = 10;
    /// <summary>The node stopped itself as a cluster member: downed (GW-CLUSTER-DOWNED) or leaving an island (GW-CLUSTER-ISLAND). Start it again.</summary>
    public const int ClusterStopped = 11;
}

/// <summary>An error the CLI reports as one line, <c>error CODE: message</c>, with an exit code. Never a stack trace.</summary>
public sealed class CliError(string code, string message, int exitCode) : Exception(message)
{
    public string Code { get; } = code;

    public int ExitCode { get; } = exitCode;

    public static CliError DataDirNotADirectory(string dir) =>
        new(ReasonCodes.CliDataDirNotADirectory, $"--data-dir '{dir}' is a file, not a directory", ExitCodes.BadArgument);

    public static CliError DataDirReadOnly(string dir, string why) =>
        new(ReasonCodes.CliDataDirReadOnly, $"data directory '{dir}' cannot be written ({why}): a read-only file system, or no write permission for this user", ExitCodes.DataDirReadOnly);

    public static CliError DataDirMissing(string dir) =>
        new(ReasonCodes.CliDataDirMissing, $"data directory '{dir}' does not exist or holds no journal (run 'gateway run --data-dir {dir}' first)", ExitCodes.DataDirMissing);

    /// <summary>A PostgreSQL start-up problem: its own code, and an exit code saying whether to retry (unreachable) or fix something.</summary>
    public static CliError Postgres(ActorGateway.Actors.Storage.PostgresSetupException ex) => new(ex.Code, ex.Message, ex.Code switch
    {
        ReasonCodes.PostgresBadConnectionString => ExitCodes.BadArgument,
        ReasonCodes.PostgresUnreachable => ExitCodes.StorageUnreachable,
        _ => ExitCodes.StorageRefused,
    });

    /// <summary>Turns what escaped a command into a one-line error.</summary>
    public static CliError From(Exception ex)
    {
        if (ex is CliError cli) return cli;
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is ActorGateway.Actors.Storage.PostgresSetupException postgres) return Postgres(postgres);
        }
        if (ex is ActorGateway.Actors.Cluster.ClusterJoinException join) return new CliError(join.Code, join.Message, ExitCodes.ClusterJoinFailed);
        if (ex is ActorGateway.Actors.Storage.DataDirectoryException dataDir) return new CliError(dataDir.Code, dataDir.Message, ExitCodes.JournalMissing);
        if (ex is ActorGateway.Admin.AdminConfigurationException admin)
        {
            return new CliError(admin.Code, admin.Message, admin.Code == ReasonCodes.AdminListenFailed ? ExitCodes.Locked : ExitCodes.BadArgument);
        }
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SqliteException { SqliteErrorCode: 5 or 6 } sqlite)
            {
                return new CliError(ReasonCodes.CliDatabaseLocked, $"the journal database is locked by another process ({sqlite.Message.Trim()})", ExitCodes.Locked);
            }
            if (e is Akka.Configuration.ConfigurationException config)
            {
                return new CliError(ReasonCodes.CliConfig, $"configuration error: {config.Message}", ExitCodes.BadArgument);
            }
        }
        Exception? inner = ex;
        while (inner is AggregateException { InnerException: not null } agg) inner = agg.InnerException;
        return new CliError(ReasonCodes.CliFailed, $"{inner!.GetType().Name}: {inner.Message}", ExitCodes.Failed);
    }
}
