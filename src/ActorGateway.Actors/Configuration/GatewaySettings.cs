using Akka.Configuration;
using ActorGateway.Domain.Failures;

namespace ActorGateway.Actors.Configuration;

/// <summary>
/// The <c>actor-gateway</c> HOCON section, typed. See hocon/gateway.conf for each setting's meaning and
/// default: the defaults live there only, so nothing here repeats them.
/// </summary>
public sealed record GatewaySettings(
    string DataDir,
    int MaxInFlight,
    int MaxWaitingSubmissions,
    long MaxMessageBytes,
    TimeSpan SubmitTimeout,
    int MaxUnknownRestarts,
    TimeSpan TransientRetryMin,
    TimeSpan TransientRetryMax,
    TimeSpan DeadLetterConfirmInterval,
    TimeSpan ResumeBackoffMin,
    TimeSpan ResumeBackoffMax,
    int RegistrySnapshotEvery,
    int DeadLetterSnapshotEvery,
    int StageLedgerSnapshotEvery,
    string PickupDir,
    string BadmailDir,
    TimeSpan PickupPollInterval,
    int PickupConcurrency,
    string SpoolDir,
    int SpoolMaxBatchFiles,
    string ContentDir,
    string ContentDbFile,
    int ContentMaxBatchMessages,
    long ContentMaxBatchBytes,
    bool DeleteContentAfterDelivery,
    TimeSpan RoutesReloadInterval,
    string DsnTransport,
    string ReportingMta,
    TimeSpan MessageLifetime,
    int MaxUnknownDelayedRetries,
    int CrashLoopThreshold,
    IReadOnlyDictionary<Stage, IReadOnlyDictionary<string, FailureKind>> Classification,
    string? FaultInjectionFailFastRecipients,
    TimeSpan OperatorTimeout,
    TimeSpan PickupSettleTime)
{
    public static GatewaySettings From(Config root)
    {
        var c = root.GetConfig("actor-gateway") ?? throw new ConfigurationException("the actor-gateway section is missing");
        var dataDir = Path.GetFullPath(c.GetString("data-dir"));
        string Under(string key) => Path.GetFullPath(Path.Combine(dataDir, c.GetString(key)));
        var settings = new GatewaySettings(
            DataDir: dataDir,
            MaxInFlight: c.GetInt("max-in-flight"),
            MaxWaitingSubmissions: c.GetInt("max-waiting-submissions"),
            MaxMessageBytes: c.GetByteSize("max-message-size") ?? throw Missing("max-message-size"),
            SubmitTimeout: c.GetTimeSpan("submit-timeout"),
            MaxUnknownRestarts: c.GetInt("supervision.max-unknown-restarts"),
            TransientRetryMin: c.GetTimeSpan("supervision.transient-retry-min"),
            TransientRetryMax: c.GetTimeSpan("supervision.transient-retry-max"),
            DeadLetterConfirmInterval: c.GetTimeSpan("supervision.dead-letter-confirm-interval"),
            ResumeBackoffMin: c.GetTimeSpan("supervision.resume-backoff-min"),
            ResumeBackoffMax: c.GetTimeSpan("supervision.resume-backoff-max"),
            RegistrySnapshotEvery: c.GetInt("registry.snapshot-every"),
            DeadLetterSnapshotEvery: c.GetInt("dead-letter-queue.snapshot-every"),
            StageLedgerSnapshotEvery: c.GetInt("stage-ledger.snapshot-every"),
            PickupDir: Under("pickup.dir"),
            BadmailDir: Under("pickup.badmail-dir"),
            PickupPollInterval: c.GetTimeSpan("pickup.poll-interval"),
            PickupConcurrency: c.GetInt("pickup.concurrency"),
            SpoolDir: Under("spool.dir"),
            SpoolMaxBatchFiles: c.GetInt("spool.max-batch-files"),
            ContentDir: Under("content.dir"),
            ContentDbFile: Under("content.db-file"),
            ContentMaxBatchMessages: c.GetInt("content.max-batch-messages"),
            ContentMaxBatchBytes: c.GetByteSize("content.max-batch-bytes") ?? throw Missing("content.max-batch-bytes"),
            DeleteContentAfterDelivery: c.GetBoolean("content.delete-after-delivery"),
            RoutesReloadInterval: c.GetTimeSpan("routes-reload-interval"),
            DsnTransport: c.GetString("dsn.transport") ?? throw Missing("dsn.transport"),
            ReportingMta: c.GetString("dsn.reporting-mta") is { Length: > 0 } mta ? mta : System.Net.Dns.GetHostName(),
            MessageLifetime: c.GetTimeSpan("message-lifetime"),
            MaxUnknownDelayedRetries: c.GetInt("supervision.max-unknown-delayed-retries"),
            CrashLoopThreshold: c.GetInt("supervision.crash-loop-threshold"),
            Classification: ParseClassification(c.GetConfig("classification")),
            FaultInjectionFailFastRecipients: c.GetString("fault-injection.fail-fast-recipients") is { Length: > 0 } p ? p : null,
            OperatorTimeout: c.GetTimeSpan("operator-timeout"),
            PickupSettleTime: c.GetTimeSpan("pickup.settle-time"));
        settings.Validate();
        return settings;
    }

    private static ConfigurationException Missing(string key) =>
        new($"actor-gateway.{key} is not set; its default lives in hocon/gateway.conf, which must be part of the configuration");

    /// <summary>Reads <c>{ mapping { "Type.FullName" = permanent|transient|unknown }, delivery { … }, notification { … } }</c>.</summary>
    public static IReadOnlyDictionary<Stage, IReadOnlyDictionary<string, FailureKind>> ParseClassification(Config? section)
    {
        var result = new Dictionary<Stage, IReadOnlyDictionary<string, FailureKind>>();
        if (section is null || section.IsEmpty) return result;
        foreach (var stage in Enum.GetValues<Stage>())
        {
            var key = stage.ToString().ToLowerInvariant();
            var stageSection = section.GetConfig(key);
            if (stageSection is null || stageSection.IsEmpty) continue;
            var map = new Dictionary<string, FailureKind>(StringComparer.Ordinal);
            foreach (var entry in stageSection.AsEnumerable())
            {
                try
                {
                    map[entry.Key.Trim('"')] = FailureClassifier.ParseKind(entry.Value.GetString());
                }
                catch (FormatException ex)
                {
                    throw new ConfigurationException($"classification.{key}.{entry.Key}: {ex.Message}");
                }
            }
            result[stage] = map;
        }
        return result;
    }

    private void Validate()
    {
        static void Require(bool ok, string what)
        {
            if (!ok) throw new ConfigurationException($"actor-gateway.{what}");
        }
        Require(OperatorTimeout > TimeSpan.Zero, "operator-timeout must be positive");
        Require(MaxInFlight > 0, "max-in-flight must be at least 1");
        Require(SpoolMaxBatchFiles > 0, "spool.max-batch-files must be at least 1");
        Require(ContentMaxBatchMessages > 0, "content.max-batch-messages must be at least 1");
        Require(ContentMaxBatchBytes > 0, "content.max-batch-bytes must be positive");
        Require(MaxWaitingSubmissions >= 0, "max-waiting-submissions must not be negative");
        Require(MaxMessageBytes > 0, "max-message-size must be positive");
        Require(MaxUnknownRestarts >= 0, "supervision.max-unknown-restarts must not be negative");
        Require(TransientRetryMin > TimeSpan.Zero && TransientRetryMax >= TransientRetryMin, "supervision.transient-retry-min/max must be positive and min <= max");
        Require(ResumeBackoffMin > TimeSpan.Zero && ResumeBackoffMax >= ResumeBackoffMin, "supervision.resume-backoff-min/max must be positive and min <= max");
        Require(RegistrySnapshotEvery > 0 && DeadLetterSnapshotEvery > 0 && StageLedgerSnapshotEvery > 0, "snapshot-every values must be positive");
        Require(PickupConcurrency > 0, "pickup.concurrency must be at least 1");
        Require(PickupSettleTime >= TimeSpan.Zero, "pickup.settle-time must not be negative");
        Require(RoutesReloadInterval > TimeSpan.Zero, "routes-reload-interval must be positive");
        Require(MessageLifetime > TimeSpan.Zero, "message-lifetime must be positive");
        Require(MaxUnknownDelayedRetries >= 0, "supervision.max-unknown-delayed-retries must not be negative");
        Require(CrashLoopThreshold >= 1, "supervision.crash-loop-threshold must be at least 1");
    }
}
