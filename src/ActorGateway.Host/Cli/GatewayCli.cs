using System.Runtime.InteropServices;
using System.CommandLine;
using Akka.Configuration;
using ActorGateway.Actors;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Query;
using ActorGateway.Actors.Storage;
using ActorGateway.Admin;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;
using ActorGateway.Host.Hosting;
using Microsoft.Extensions.Hosting;

namespace ActorGateway.Host.Cli;

/// <summary>
/// The <c>gateway</c> command line: run, process, demo, journal, deadletters, routes (offline, on a data
/// directory), and the commands that talk to a running service through its admin API (<see cref="AdminCommands"/>).
/// </summary>
public static class GatewayCli
{
    public const string DataDirEnvironmentVariable = "GATEWAY_DATA_DIR";
    public const string StorageEnvironmentVariable = "GATEWAY_STORAGE";
    public const string ClusterHostEnvironmentVariable = "GATEWAY_CLUSTER_HOST";
    public const string ClusterPortEnvironmentVariable = "GATEWAY_CLUSTER_PORT";
    public const string ClusterSeedsEnvironmentVariable = "GATEWAY_CLUSTER_SEEDS";
    public const string PostgresEnvironmentVariable = "GATEWAY_POSTGRES";
    public const string SpoolDirEnvironmentVariable = "GATEWAY_SPOOL_DIR";

    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var output = stdout ?? Console.Out;
        var errors = stderr ?? Console.Error;

        var dataDir = new Option<string>("--data-dir")
        {
            Description = $"Data directory: journal, content store, pickup, outbound spool, badmail, logs. Default: ${DataDirEnvironmentVariable}, else ./gateway-data.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(DataDirEnvironmentVariable) is { Length: > 0 } env ? env : "gateway-data",
        };
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON instead of a table." };
        var timeout = new Option<TimeSpan>("--timeout")
        {
            Description = "process: how long to wait for every message to finish (10s, 5m, 1h, or 00:30:00).",
            DefaultValueFactory = _ => TimeSpan.FromMinutes(30),
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
                if (CliDuration.TryParse(text, out var value)) return value;
                result.AddError($"--timeout '{text}' is not {CliDuration.Forms}");
                return default;
            },
        };
        var files = new Argument<string[]>("FILE") { Description = "RFC 5322 message files (.eml) to process.", Arity = ArgumentArity.OneOrMore };
        var messageId = new Argument<string>("MESSAGE-ID") { Description = "The gateway's message id (as printed by process, run's log or deadletters)." };

        var config = new Option<string?>("--config")
        {
            Description = "A HOCON file layered over the shipped configuration (routes, relay, limits). Settings in it win.",
        };
        var smtpListen = new Option<string?>("--smtp-listen")
        {
            Description = "Where the ESMTP listener binds, HOST:PORT (default: actor-gateway.smtp.listen, 127.0.0.1:2525); 'off' for none.",
        };
        var adminListen = new Option<string?>("--admin-listen")
        {
            Description = "Where the admin HTTP API binds, HOST:PORT (default: actor-gateway.admin.listen, 127.0.0.1:8025); 'off' for none. A non-loopback address needs $GATEWAY_ADMIN_TOKEN.",
        };
        var newJournal = new Option<bool>("--new-journal")
        {
            Description = "Start a new, empty journal even though the data directory had one that is now missing, empty or different (GW-JOURNAL-MISSING). What the old journal knew is lost.",
        };
        var storage = new Option<string?>("--storage")
        {
            Description = $"Where the journal, snapshots and message content live: sqlite (files in the data directory) or postgres (a PostgreSQL database several nodes share; needs --postgres). Default: ${StorageEnvironmentVariable}, else actor-gateway.storage, else sqlite.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(StorageEnvironmentVariable) is { Length: > 0 } env ? env : null,
        };
        var postgres = new Option<string?>("--postgres")
        {
            Description = $"Npgsql connection string for --storage postgres (Host=…;Port=…;Database=…;Username=…;Password=…). Default: ${PostgresEnvironmentVariable} (preferred: a password on the command line is visible to other users), else actor-gateway.postgres.connection-string.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(PostgresEnvironmentVariable) is { Length: > 0 } env ? env : null,
        };
        var spoolDir = new Option<string?>("--spool-dir")
        {
            Description = $"Where delivered messages are spooled (overrides actor-gateway.spool.dir, {{data-dir}}/outbound), e.g. a directory several nodes share. Default: ${SpoolDirEnvironmentVariable}.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(SpoolDirEnvironmentVariable) is { Length: > 0 } env ? env : null,
        };
        var clusterHost = new Option<string?>("--cluster-host")
        {
            Description = $"Clustered: the hostname or address other nodes reach this node by. Default: ${ClusterHostEnvironmentVariable}, else this machine's host name.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ClusterHostEnvironmentVariable) is { Length: > 0 } env ? env : null,
        };
        var clusterPort = new Option<string?>("--cluster-port")
        {
            Description = $"Clustered: this node's remoting port (TCP). Default: ${ClusterPortEnvironmentVariable}, else 4053.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ClusterPortEnvironmentVariable) is { Length: > 0 } env ? env : null,
        };
        var clusterSeeds = new Option<string?>("--cluster-seeds")
        {
            Description = $"Seed nodes, HOST:PORT,HOST:PORT (the same list on every node). When given, the node joins an Akka.Cluster (it needs --storage postgres); otherwise it runs alone. Default: ${ClusterSeedsEnvironmentVariable}.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ClusterSeedsEnvironmentVariable) is { Length: > 0 } env ? env : null,
        };
        var run = new Command("run", "Run the gateway service: ESMTP listener, {data-dir}/pickup watcher and admin API, until Ctrl+C or SIGTERM.")
        {
            dataDir, config, smtpListen, adminListen, newJournal, storage, postgres, spoolDir, clusterHost, clusterPort, clusterSeeds,
        };
        run.SetAction((p, ct) => Guard(errors, () => RunServiceAsync(p.GetValue(dataDir)!, p.GetValue(config), p.GetValue(smtpListen), p.GetValue(adminListen), p.GetValue(newJournal),
            new RunOptions(p.GetValue(storage), p.GetValue(postgres), p.GetValue(spoolDir), p.GetValue(clusterHost), p.GetValue(clusterPort), p.GetValue(clusterSeeds)), errors, ct)));

        var process = new Command("process", "Process message files once and wait until each is delivered, dead-lettered or rejected.") { files, dataDir, json, timeout, config, newJournal };
        process.SetAction((p, ct) => Guard(errors, () => ProcessAsync(p.GetValue(files)!, p.GetValue(dataDir)!, p.GetValue(json), p.GetValue(timeout), p.GetValue(config), p.GetValue(newJournal), output, errors, ct)));

        var demo = new Command("demo", "Process the bundled sample batch (with the seed's poison message) in a fresh data directory under the temp folder.") { json };
        demo.SetAction((p, ct) => Guard(errors, () => DemoAsync(p.GetValue(json), output, ct)));

        var journal = new Command("journal", "Print one message's timeline from the journal.") { messageId, dataDir, json };
        journal.SetAction((p, ct) => Guard(errors, () => JournalAsync(p.GetValue(messageId)!, p.GetValue(dataDir)!, p.GetValue(json), output, ct)));

        var deadletters = new Command("deadletters",
            "Without a subcommand: list the dead-letter queue from the journal of --data-dir (offline). Subcommands talk to the running service's admin API.")
        {
            dataDir, json,
        };
        deadletters.SetAction((p, ct) => Guard(errors, () => DeadLettersAsync(p.GetValue(dataDir)!, p.GetValue(json), output, ct)));
        var online = AdminCommands.Build(deadletters, output, errors, command => Guard(errors, command));

        var routes = new Command("routes", "Print the effective route table (HOCON routes plus directory files of the data directory).") { dataDir, json, config };
        routes.SetAction((p, ct) => Guard(errors, () => RoutesAsync(p.GetValue(dataDir)!, p.GetValue(json), p.GetValue(config), output)));

        var root = new RootCommand("ActorGateway: a poison-proof message gateway (Exchange to OfficeVision/PROFS) on Akka.NET.")
        {
            run, process, demo, journal, deadletters, routes,
        };
        foreach (var command in online) root.Add(command);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await errors.WriteLineAsync($"error {ReasonCodes.CliBadArgument}: {parsed.Errors[0].Message} (see 'gateway --help')");
            return ExitCodes.BadArgument;
        }
        // Ctrl+C and SIGTERM cancel the command's token, and the command stops in its own time: `run` stops gracefully
        // (hand-offs, a clean-stop record; HostOptions.ShutdownTimeout bounds it). System.CommandLine's own handler is off
        // (ProcessTerminationTimeout = null): it ends the process 2 s after the signal, and when the signal comes as the
        // command returns it cancels a disposed token, which aborts the process (exit 134).
        using var shutdown = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            try
            {
                shutdown.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The command has returned already.
            }
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return await parsed.InvokeAsync(
            new InvocationConfiguration { Output = output, Error = errors, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
            shutdown.Token);
    }

    private static async Task<int> Guard(TextWriter errors, Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (OperationCanceledException)
        {
            await errors.WriteLineAsync("cancelled");
            return ExitCodes.Failed;
        }
        catch (Exception ex)
        {
            var error = CliError.From(ex);
            await errors.WriteLineAsync($"error {error.Code}: {error.Message}");
            return error.ExitCode;
        }
    }

    /// <summary>run's --storage, --postgres, --spool-dir and --cluster-* options, as given (or from their environment variables).</summary>
    private sealed record RunOptions(string? Storage, string? Postgres, string? SpoolDir, string? ClusterHost, string? ClusterPort, string? ClusterSeeds);

    private static async Task<int> RunServiceAsync(string dataDir, string? configFile, string? smtpListen, string? adminListen, bool newJournal, RunOptions options,
        TextWriter errors, CancellationToken ct)
    {
        var overrides = WithSpoolDir(LoadConfigFile(configFile), options.SpoolDir);
        var storage = ResolveStorage(options, overrides);
        var cluster = ResolveCluster(options, storage);
        var dir = PrepareWritable(dataDir);
        var effective = GatewayConfig.For(dir, storage, overrides, cluster);
        var listen = smtpListen ?? effective.GetString("actor-gateway.smtp.listen", "127.0.0.1:2525");
        if (string.Equals(listen, "off", StringComparison.OrdinalIgnoreCase)) listen = null;
        else ParseListen(listen!);
        // Refuses a non-loopback admin listener without a token before anything starts (GW-ADMIN-TOKEN-REQUIRED).
        var admin = AdminOptions.FromConfig(effective, adminListen);
        using var dirLock = DataDirLock.Acquire(dir);
        if (storage.Kind == StorageKind.Postgres)
        {
            // The journal, snapshots and content are in PostgreSQL: no data-directory marker, no SQLite files. Bounded: a
            // wrong address or password is one GW-POSTGRES-* line, never a hang.
            GatewayNode.PreparePostgres(storage.PostgresConnectionString!, PostgresSettings.From(effective).ConnectTimeout, overrides);
        }
        else
        {
            GatewayNode.PrepareSqlite(dir, newJournal, overrides, Warn(errors));
        }
        using var host = GatewayHost.Build(dir, ConsoleVerbosity.Service, startNode: true, watchPickup: true, overrides, listen, admin, storage, cluster);
        await host.StartAsync(ct);
        await host.NodeAsync(); // surfaces start-up failures (e.g. a bad route) as a one-line error
        if (cluster is not null)
        {
            // A seed that never answers is one GW-CLUSTER-JOIN-FAILED line and exit 10, not a node that waits for ever.
            await ActorGateway.Actors.Cluster.ClusterMembership.WaitUpAsync(host.System(), cluster.Seeds, ClusterSettings.From(effective).JoinTimeout, ct);
        }
        await host.WaitForShutdownAsync(ct);
        // A stop the node decided on (downed by the split brain resolver, or leaving an island) is not a clean exit: its
        // supervisor must start it again, also under systemd's Restart=on-failure.
        switch (Akka.Actor.CoordinatedShutdown.Get(host.System()).ShutdownReason)
        {
            case ActorGateway.Actors.Cluster.PostgresAdvisoryLease.IslandReason:
                await errors.WriteLineAsync($"error {ReasonCodes.ClusterIsland}: this node was in a second cluster on the same database and left it; start it again to join the cluster through its seeds");
                return ExitCodes.ClusterStopped;
            case Akka.Actor.CoordinatedShutdown.ClusterDowningReason:
                await errors.WriteLineAsync($"error {ReasonCodes.ClusterDowned}: this node was downed (the split brain resolver, or an operator) and stopped; start it again to join as a new member");
                return ExitCodes.ClusterStopped;
            default:
                return ExitCodes.Ok;
        }
    }

    private static async Task<int> ProcessAsync(string[] files, string dataDir, bool json, TimeSpan timeout, string? configFile, bool newJournal, TextWriter output, TextWriter errors, CancellationToken ct)
    {
        var missing = files.FirstOrDefault(f => !File.Exists(f));
        if (missing is not null) throw new CliError(ReasonCodes.CliBadArgument, $"file '{missing}' does not exist", ExitCodes.BadArgument);
        var overrides = LoadConfigFile(configFile);
        var dir = PrepareWritable(dataDir);
        var results = await ProcessFilesAsync(dir, files.Select(Path.GetFullPath).ToList(), timeout, ct, overrides, newJournal, errors);
        if (json) await output.WriteLineAsync(Presentation.ProcessJson(results));
        else Presentation.ProcessTable(output, results);
        return ExitCodes.Ok;
    }

    private static async Task<int> DemoAsync(bool json, TextWriter output, CancellationToken ct)
    {
        var samples = Path.Combine(AppContext.BaseDirectory, "samples");
        var files = Directory.Exists(samples) ? Directory.GetFiles(samples, "*.eml").Order().ToList() : [];
        if (files.Count == 0) throw new CliError(ReasonCodes.CliNotFound, $"no sample messages in '{samples}'", ExitCodes.NotFound);

        var dir = Path.Combine(Path.GetTempPath(), $"actor-gateway-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        var directory = Path.Combine(samples, "directory.csv");
        if (File.Exists(directory)) File.Copy(directory, Path.Combine(dir, "directory.csv"));

        var results = await ProcessFilesAsync(dir, files, TimeSpan.FromMinutes(10), ct);
        if (json)
        {
            await output.WriteLineAsync(Presentation.ProcessJson(results));
            return ExitCodes.Ok;
        }
        Presentation.ProcessTable(output, results);
        var dead = results.Where(r => r.Outcome == Outcomes.DeadLettered).ToList();
        await output.WriteLineAsync();
        await output.WriteLineAsync($"Data directory:  {dir}");
        await output.WriteLineAsync($"Delivered mail:  {Path.Combine(dir, "outbound")}");
        foreach (var d in dead)
        {
            await output.WriteLineAsync($"Quarantined:     {Path.GetFileName(d.Source)} -> {d.Reason} (message {d.Id})");
        }
        await output.WriteLineAsync("Look closer (from the source tree, 'gateway' is 'dotnet run --project src/ActorGateway.Host --'):");
        if (dead.Count > 0) await output.WriteLineAsync($"  gateway journal {dead[0].Id} --data-dir {dir}");
        await output.WriteLineAsync($"  gateway deadletters --data-dir {dir}");
        if (dead.Count > 0)
        {
            await output.WriteLineAsync("Fix and replay (README, \"Operating the quarantine\"): run the service on this directory, add a directory entry, then");
            await output.WriteLineAsync($"  gateway run --data-dir {dir}          # in another terminal, with GATEWAY_ADMIN_TOKEN set");
            await output.WriteLineAsync($"  gateway deadletters replay {dead[0].Id} --dry-run");
        }
        return ExitCodes.Ok;
    }

    private static async Task<IReadOnlyList<FileOutcome>> ProcessFilesAsync(string dir, IReadOnlyList<string> files, TimeSpan timeout, CancellationToken ct,
        Config? overrides = null, bool newJournal = false, TextWriter? errors = null)
    {
        using var dirLock = DataDirLock.Acquire(dir);
        GatewayNode.PrepareSqlite(dir, newJournal, overrides, errors is null ? null : Warn(errors));
        using var host = GatewayHost.Build(dir, ConsoleVerbosity.Batch, startNode: true, watchPickup: false, overrides);
        await host.StartAsync(ct);
        try
        {
            var node = await host.NodeAsync();
            using var outcomes = OutcomeWatcher.Start(host.System());
            try
            {
                return await BatchProcessor.RunAsync(node, outcomes, files, timeout, ct);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new CliError(ReasonCodes.CliFailed,
                    $"not every message finished within {timeout}; {outcomes.Count} did. The rest stay in the journal and resume on the next run.", ExitCodes.Failed);
            }
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<int> JournalAsync(string id, string dataDir, bool json, TextWriter output, CancellationToken ct)
    {
        if (!MessageId.TryParse(id, out var messageId))
        {
            throw new CliError(ReasonCodes.CliBadArgument, $"'{id}' is not a message id (1-64 characters of A-Z, a-z, 0-9, '-' and '_')", ExitCodes.BadArgument);
        }
        var timeline = await QueryAsync(dataDir, system => JournalQueries.MessageTimelineAsync(system, messageId.Value, ct), ct);
        if (timeline.Count == 0) throw new CliError(ReasonCodes.CliNotFound, $"no message {messageId} in the journal of '{dataDir}'", ExitCodes.NotFound);
        if (json) await output.WriteLineAsync(Presentation.TimelineJson(messageId.Value, timeline));
        else Presentation.TimelineTable(output, messageId.Value, timeline);
        return ExitCodes.Ok;
    }

    private static async Task<int> DeadLettersAsync(string dataDir, bool json, TextWriter output, CancellationToken ct)
    {
        var entries = await QueryAsync(dataDir, system => JournalQueries.DeadLettersAsync(system, ct), ct);
        if (json) await output.WriteLineAsync(Presentation.DeadLettersJson(entries));
        else Presentation.DeadLettersTable(output, entries);
        return ExitCodes.Ok;
    }

    /// <summary>Runs a read-only journal query. Takes no lock: it is safe next to a running service.</summary>
    private static async Task<T> QueryAsync<T>(string dataDir, Func<Akka.Actor.ActorSystem, Task<T>> query, CancellationToken ct)
    {
        var dir = RequireDirectoryOrNothing(dataDir);
        var db = Path.Combine(dir, GatewayConfig.SqliteJournalFile);
        if (!File.Exists(db) || !SqliteSetup.CheckReadable(db)) throw CliError.DataDirMissing(dataDir);
        // Fail fast with GW-CLI-DB-LOCKED instead of waiting the default 30 s on a locked database.
        var readOnly = ConfigurationFactory.ParseString(
            $"akka.persistence.query.journal.sql.connection-string = {GatewayConfig.Quote($"Data Source={db};Mode=ReadOnly;Default Timeout=5")}");
        using var host = GatewayHost.Build(dir, ConsoleVerbosity.Quiet, startNode: false, watchPickup: false, overrides: readOnly);
        await host.StartAsync(ct);
        try
        {
            return await query(host.System());
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<int> RoutesAsync(string dataDir, bool json, string? configFile, TextWriter output)
    {
        var dir = RequireDirectoryOrNothing(dataDir);
        if (!Directory.Exists(dir)) throw CliError.DataDirMissing(dataDir);
        var problems = new List<string>();
        var table = RouteConfig.Load(GatewayConfig.ForSqlite(dir, LoadConfigFile(configFile)), dir, (code, text) => problems.Add($"{code}: {text}"));
        if (json) await output.WriteLineAsync(RoutesView.Json(table));
        else RoutesView.Table(output, table, problems);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The storage run uses: --storage (or $GATEWAY_STORAGE), else the --config file's actor-gateway.storage, else sqlite;
    /// for postgres, the connection string from --postgres (or $GATEWAY_POSTGRES), else the --config file's
    /// actor-gateway.postgres.connection-string. It is parsed here, so an unparseable one fails before anything starts.
    /// </summary>
    private static StorageChoice ResolveStorage(RunOptions options, Config? overrides)
    {
        var text = options.Storage ?? overrides?.GetString("actor-gateway.storage", null) ?? "sqlite";
        if (!StorageChoice.TryParseKind(text, out var kind))
        {
            throw new CliError(ReasonCodes.CliBadArgument, $"--storage '{text}' is neither sqlite nor postgres", ExitCodes.BadArgument);
        }
        if (kind == StorageKind.Sqlite) return StorageChoice.Sqlite;
        var connectionString = options.Postgres ?? overrides?.GetString("actor-gateway.postgres.connection-string", null);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new CliError(ReasonCodes.CliBadArgument,
                $"--storage postgres needs a connection string: --postgres \"Host=…;Database=…;Username=…\" or ${PostgresEnvironmentVariable}", ExitCodes.BadArgument);
        }
        PostgresSetup.Parse(connectionString);
        return StorageChoice.Postgres(connectionString);
    }

    /// <summary>--spool-dir over the --config file: the spool transport writes there instead of {data-dir}/outbound.</summary>
    /// <summary>
    /// The node's place in a cluster, from --cluster-seeds (or $GATEWAY_CLUSTER_SEEDS): none without seeds (the node runs
    /// alone). A cluster shares one PostgreSQL, so SQLite is refused (GW-CLUSTER-NEEDS-POSTGRES).
    /// </summary>
    private static ClusterChoice? ResolveCluster(RunOptions options, StorageChoice storage)
    {
        if (string.IsNullOrWhiteSpace(options.ClusterSeeds))
        {
            if (options.ClusterHost is not null || options.ClusterPort is not null)
            {
                throw new CliError(ReasonCodes.CliBadArgument,
                    $"--cluster-host and --cluster-port need --cluster-seeds (or ${ClusterSeedsEnvironmentVariable}); without seeds the node runs alone", ExitCodes.BadArgument);
            }
            return null;
        }
        IReadOnlyList<string> seeds;
        try
        {
            seeds = ClusterChoice.ParseSeeds(options.ClusterSeeds);
        }
        catch (FormatException ex)
        {
            throw new CliError(ReasonCodes.CliBadArgument, $"--cluster-seeds: {ex.Message}", ExitCodes.BadArgument);
        }
        var port = 4053;
        if (options.ClusterPort is not null && (!int.TryParse(options.ClusterPort, out port) || port is < 1 or > 65535))
            throw new CliError(ReasonCodes.CliBadArgument, $"--cluster-port '{options.ClusterPort}' is not a TCP port (1-65535)", ExitCodes.BadArgument);
        if (storage.Kind != StorageKind.Postgres)
        {
            throw new CliError(ReasonCodes.ClusterNeedsPostgres,
                "a cluster shares one PostgreSQL for its journal and content: add --storage postgres --postgres \"Host=…\" (SQLite is one node's)", ExitCodes.BadArgument);
        }
        var host = options.ClusterHost is { Length: > 0 } h ? h : System.Net.Dns.GetHostName();
        return new ClusterChoice(host, port, seeds);
    }

    private static Config? WithSpoolDir(Config? overrides, string? spoolDir)
    {
        if (spoolDir is null) return overrides;
        if (File.Exists(spoolDir)) throw new CliError(ReasonCodes.CliBadArgument, $"--spool-dir '{spoolDir}' is a file, not a directory", ExitCodes.BadArgument);
        var spool = ConfigurationFactory.ParseString($"actor-gateway.spool.dir = {GatewayConfig.Quote(Path.GetFullPath(spoolDir))}");
        return overrides is null ? spool : spool.WithFallback(overrides);
    }

    /// <summary>Reads a --config HOCON file; a missing or malformed one is a one-line GW-CLI-CONFIG error.</summary>
    private static Config? LoadConfigFile(string? path)
    {
        if (path is null) return null;
        if (!File.Exists(path)) throw new CliError(ReasonCodes.CliConfig, $"configuration file '{path}' does not exist", ExitCodes.BadArgument);
        try
        {
            return ConfigurationFactory.ParseString(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is not CliError)
        {
            throw new CliError(ReasonCodes.CliConfig, $"configuration file '{path}' is not valid HOCON: {ex.Message}", ExitCodes.BadArgument);
        }
    }

    /// <summary>A start-up warning, as one line on stderr with its code (the host's logging is not up yet).</summary>
    private static Action<string, string> Warn(TextWriter errors) => (code, text) => errors.WriteLine($"warning {code}: {text}");

    private static void ParseListen(string listen)
    {
        try
        {
            ActorGateway.Smtp.Listener.SmtpListenerOptions.ParseEndPoint(listen);
        }
        catch (FormatException ex)
        {
            throw new CliError(ReasonCodes.CliBadArgument, $"--smtp-listen '{listen}': {ex.Message}", ExitCodes.BadArgument);
        }
    }

    /// <summary>The data directory, created if need be, and proven writable: a read-only one or a file is its own error, not "locked".</summary>
    private static string PrepareWritable(string dataDir)
    {
        var dir = RequireDirectoryOrNothing(dataDir);
        var parent = Path.GetDirectoryName(dir);
        if (parent is not null && !Directory.Exists(parent)) throw File.Exists(parent) ? CliError.DataDirNotADirectory(parent) : CliError.DataDirMissing(dataDir);
        try
        {
            Directory.CreateDirectory(dir);
            using (new FileStream(Path.Combine(dir, $".write-probe-{Environment.ProcessId}"), FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliError.DataDirReadOnly(dataDir, ex.Message);
        }
        return dir;
    }

    /// <summary>The absolute path; a --data-dir that names a regular file is GW-CLI-DATA-DIR-NOT-A-DIRECTORY.</summary>
    private static string RequireDirectoryOrNothing(string dataDir)
    {
        var dir = Path.GetFullPath(dataDir);
        if (File.Exists(dir)) throw CliError.DataDirNotADirectory(dataDir);
        return dir;
    }
}
