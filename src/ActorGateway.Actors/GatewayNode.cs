using Akka.Actor;
using Akka.Configuration;
using Akka;
using Akka.Pattern;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Storage;
using ActorGateway.Actors.Transport;

namespace ActorGateway.Actors;

/// <summary>Replaceable parts of a node, for tests and adapters.</summary>
/// <param name="Transport">Takes the place of the spool transport (routes name it <c>spool</c>).</param>
/// <param name="Children">Creates each message's stage children; defaults to the real mapper and transport.</param>
/// <param name="Transports">Further transports, registered under their <see cref="IMessageTransport.Name"/> (e.g. the SMTP relay, <c>smtp</c>).</param>
public sealed record GatewayNodeOptions(
    IMessageTransport? Transport = null,
    Func<GatewayNodeParts, MessageChildFactories>? Children = null,
    IReadOnlyList<IMessageTransport>? Transports = null);

/// <summary>The shared, stateless parts a node is built from.</summary>
public sealed record GatewayNodeParts(GatewaySettings Settings, RouteTableSource Routes, IContentStore Content, TransportRegistry Transports, Diagnostics.GatewayMetrics Metrics);

/// <summary>
/// Builds one node's actor tree in an <see cref="ActorSystem"/>: <c>/user/dead-letter-queue</c> and
/// <c>/user/gateway</c> (each behind a back-off supervisor, since a failed journal write stops a
/// persistent actor unconditionally), plus the ingress in front of them. The one wiring path for
/// the host, the CLI and the tests.
/// </summary>
public sealed class GatewayNode
{
    private GatewayNode(GatewayNodeParts parts, IActorRef gateway, IActorRef deadLetterQueue, GatewayIngress ingress, Operations.GatewayOperations operations)
    {
        Operations = operations;
        Metrics = parts.Metrics;
        Parts = parts;
        Gateway = gateway;
        DeadLetterQueue = deadLetterQueue;
        Ingress = ingress;
    }

    public GatewayNodeParts Parts { get; }

    public GatewaySettings Settings => Parts.Settings;

    /// <summary>The gateway supervisor (through its back-off supervisor, which forwards).</summary>
    public IActorRef Gateway { get; }

    public IActorRef DeadLetterQueue { get; }

    public GatewayIngress Ingress { get; }

    /// <summary>The node's instruments, exported by the admin API's /metrics.</summary>
    public Diagnostics.GatewayMetrics Metrics { get; }

    /// <summary>Operator reads and actions (admin API, CLI, tests).</summary>
    public Operations.GatewayOperations Operations { get; }

    /// <param name="report">Receives (code, text) for configuration problems that do not stop the node (skipped directory lines, a missing directory file).</param>
    public static GatewayNode Start(ActorSystem system, GatewayNodeOptions? options = null, Action<string, string>? report = null)
    {
        options ??= new GatewayNodeOptions();
        var config = system.Settings.Config;
        var settings = GatewaySettings.From(config);
        var directoryFiles = RouteReloaderActor.Snapshot(config, settings.DataDir);
        var routeTable = RouteConfig.Load(config, settings.DataDir, report);
        var byName = new Dictionary<string, IMessageTransport> { [TransportRegistry.Spool] = options.Transport ?? new SpoolTransport(settings.SpoolDir, settings.SpoolMaxBatchFiles) };
        foreach (var extra in options.Transports ?? []) byName[extra.Name] = extra;
        var transports = new TransportRegistry(byName);
        var unknown = routeTable.Routes.Where(r => !transports.Contains(r.Transport)).ToList();
        if (unknown.Count > 0)
        {
            throw new Akka.Configuration.ConfigurationException(
                $"route '{unknown[0].Name}' names transport '{unknown[0].Transport}', which is not configured (have: {string.Join(", ", transports.Names)})");
        }
        var notifying = routeTable.Routes.FirstOrDefault(r => r.NotifySender);
        if (notifying is not null && !transports.Contains(settings.DsnTransport))
        {
            throw new Akka.Configuration.ConfigurationException(
                $"route '{notifying.Name}' has notify-sender = on, but the DSN transport '{settings.DsnTransport}' is not configured (actor-gateway.dsn.transport)");
        }
        var routes = new RouteTableSource(routeTable);
        var content = ContentStores.Open(settings, config);
        system.RegisterOnTermination(content.Dispose);
        var metrics = new Diagnostics.GatewayMetrics();
        system.RegisterOnTermination(metrics.Dispose);
        var parts = new GatewayNodeParts(settings, routes, content, transports, metrics);
        var children = options.Children?.Invoke(parts) ?? MessageChildFactories.Default(routes, content, transports, FaultInjection(settings));

        var cluster = ClusterSettings.From(config);
        var deadLetterQueueProps = BackoffSupervisor.Props(Backoff.OnStop(
            DeadLetterQueueActor.Props(settings.DeadLetterSnapshotEvery), DeadLetterQueueActor.Name,
            settings.ResumeBackoffMin, settings.ResumeBackoffMax, 0.2, maxNrOfRetries: -1));
        // Operators' directory edits (admin API) are journaled here; a failed write stops it, so it is supervised like the queue.
        var directoryAuditProps = BackoffSupervisor.Props(Backoff.OnStop(DirectoryAuditActor.Props(), DirectoryAuditActor.Name,
            settings.ResumeBackoffMin, settings.ResumeBackoffMax, 0.2, maxNrOfRetries: -1));
        // One writer per persistence id: in a cluster the queue and the directory record are singletons, reached through proxies
        // under the same names (which buffer while the singleton moves; message actors repeat their records until confirmed).
        var deadLetterQueue = cluster.Enabled
            ? Cluster.ClusterNodeParts.Singleton(system, deadLetterQueueProps, DeadLetterQueueActor.Name)
            : system.ActorOf(deadLetterQueueProps, DeadLetterQueueActor.Name);
        if (cluster.Enabled) Cluster.ClusterNodeParts.Singleton(system, directoryAuditProps, DirectoryAuditActor.Name);
        else system.ActorOf(directoryAuditProps, DirectoryAuditActor.Name);

        system.ActorOf(RouteReloaderActor.Props(config, settings.DataDir, routes, settings.RoutesReloadInterval, directoryFiles), RouteReloaderActor.Name);
        // In a cluster every node follows the shared directory record into its own directory files (the admin API waits for it).
        if (cluster.Enabled) system.ActorOf(Cluster.DirectorySyncActor.Props(config, settings.DataDir, TimeSpan.FromSeconds(5)), Cluster.DirectorySyncActor.Name);
        var circuits = system.ActorOf(TransportCircuitActor.Props(CircuitBreakerSettings.FromConfig(config), metrics), TransportCircuitActor.Name);

        if (cluster.Enabled)
        {
            // The partitions get their own risk gates; this placeholder is replaced in each (PartitionDependencies).
            var baseDeps = new MessageActorDependencies(settings, children, deadLetterQueue, content, routes, ActorRefs.Nobody, circuits, metrics);
            system.ActorOf(Cluster.ClusterEventsActor.Props(), Cluster.ClusterEventsActor.Name);
            var region = Cluster.ClusterNodeParts.StartPartitions(system, cluster, settings, baseDeps);
            var router = system.ActorOf(Cluster.GatewayRouterActor.Props(region, cluster.Partitions, cluster.StatusTimeout, cluster.WakeInterval), GatewayActor.Name);
            return new GatewayNode(parts, router, deadLetterQueue, new GatewayIngress(router, content, settings),
                new Operations.GatewayOperations(system, router, deadLetterQueue, content, settings.OperatorTimeout));
        }

        // Persistent (the stage ledger): a failed write stops it, and the back-off starts it again; message actors repeat what it did not answer.
        var riskGate = system.ActorOf(
            BackoffSupervisor.Props(Backoff.OnStop(
                RiskGateActor.Props(settings.StageLedgerSnapshotEvery), RiskGateActor.Name,
                settings.ResumeBackoffMin, settings.ResumeBackoffMax, 0.2, maxNrOfRetries: -1)),
            RiskGateActor.Name);
        var messageDeps = new MessageActorDependencies(settings, children, deadLetterQueue, content, routes, riskGate, circuits, metrics);

        var gateway = system.ActorOf(
            BackoffSupervisor.Props(Backoff.OnStop(
                GatewayActor.Props(settings, (id, newId) => MessageActor.Props(id, messageDeps, newId), riskGate, metrics), GatewayActor.Name,
                settings.ResumeBackoffMin, settings.ResumeBackoffMax, 0.2, maxNrOfRetries: -1)),
            GatewayActor.Name);

        // A graceful stop is recorded, so the next start does not count in-flight stages as crash suspects.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceStop, "gateway-clean-shutdown", async () =>
        {
            try
            {
                await gateway.Ask<GatewayActor.CleanShutdownRecorded>(GatewayActor.RecordCleanShutdown.Instance, TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // No record: the next start treats this stop as a crash, which is only more careful.
            }
            return Done.Instance;
        });

        return new GatewayNode(parts, gateway, deadLetterQueue, new GatewayIngress(gateway, content, settings),
            new Operations.GatewayOperations(system, gateway, deadLetterQueue, content, settings.OperatorTimeout));
    }

    /// <summary>The environment variable that must be set to <c>enabled</c> for fault injection to be accepted.</summary>
    public const string FaultInjectionEnvironmentVariable = "GATEWAY_FAULT_INJECTION";

    /// <summary>
    /// Fault injection (<c>actor-gateway.fault-injection.fail-fast-recipients</c>) makes the mapper kill the
    /// process for matching recipients. It exists for crash-loop tests only: configured without
    /// <see cref="FaultInjectionEnvironmentVariable"/>=enabled, the node refuses to start.
    /// </summary>
    private static System.Text.RegularExpressions.Regex? FaultInjection(GatewaySettings settings)
    {
        if (settings.FaultInjectionFailFastRecipients is not { } pattern) return null;
        if (Environment.GetEnvironmentVariable(FaultInjectionEnvironmentVariable) != "enabled")
        {
            throw new Akka.Configuration.ConfigurationException(
                $"actor-gateway.fault-injection.fail-fast-recipients is set, which kills the process on purpose; refusing to start unless {FaultInjectionEnvironmentVariable}=enabled");
        }
        return new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// Prepares a data directory for the SQLite default: creates it, checks that its journal is the one it had
    /// (<see cref="DataDirMarker"/>, GW-JOURNAL-MISSING otherwise) and puts the journal in WAL mode.
    /// </summary>
    /// <param name="newJournal">Start a new journal even where the data directory had another (<c>--new-journal</c>).</param>
    /// <param name="overrides">The node's configuration overrides (they may move the content store).</param>
    /// <param name="report">Receives (code, text) when a new journal replaces another on purpose.</param>
    public static void PrepareSqlite(string dataDir, bool newJournal = false, Config? overrides = null, Action<string, string>? report = null)
    {
        Directory.CreateDirectory(dataDir);
        var journal = Path.Combine(dataDir, GatewayConfig.SqliteJournalFile);
        var settings = GatewaySettings.From(GatewayConfig.ForSqlite(dataDir, overrides));
        DataDirMarker.Verify(dataDir, journal, settings.ContentDbFile, settings.ContentDir, newJournal, report);
        SqliteSetup.EnableWal(journal);
    }

    /// <summary>
    /// Prepares a PostgreSQL database for <c>actor-gateway.storage = postgres</c>: checks within <paramref name="timeout"/>
    /// that it can be reached and logged in to, and creates the content and relay-sent tables when missing (the journal's
    /// and snapshot store's tables are created by Akka.Persistence.Sql, <c>auto-initialize</c> in postgres.conf).
    /// </summary>
    /// <param name="overrides">The node's configuration overrides (they may rename the tables).</param>
    /// <exception cref="PostgresSetupException">GW-POSTGRES-BAD-CONNECTION-STRING, -UNREACHABLE, -AUTH-FAILED or -SETUP-FAILED.</exception>
    public static void PreparePostgres(string connectionString, TimeSpan timeout, Config? overrides = null)
    {
        var tables = PostgresSettings.From((overrides ?? Config.Empty).WithFallback(GatewayConfig.LoadFile("gateway.conf")));
        PostgresSetup.Prepare(connectionString, timeout, tables.ContentTable, tables.RelaySentTable);
    }

    /// <summary>Creates an ActorSystem for a SQLite data directory, ready for <see cref="Start"/>.</summary>
    public static ActorSystem CreateSqliteSystem(string name, string dataDir, Config? overrides = null)
    {
        PrepareSqlite(dataDir, overrides: overrides);
        return ActorSystem.Create(name, GatewayConfig.ForSqlite(dataDir, overrides));
    }

}
