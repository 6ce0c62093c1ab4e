namespace ActorGateway.Domain;

/// <summary>
/// Stable, operator-facing codes. They appear in logs, in the journal and in CLI output, and
/// README.md lists them; never rename one.
/// </summary>
public static class ReasonCodes
{
    // Mapping (permanent: the message is dead-lettered, the mapper is never re-run for it).
    public const string MapBlankDisplayName = "GW-MAP-BLANK-DISPLAY-NAME";
    public const string MapUnusableDisplayName = "GW-MAP-UNUSABLE-DISPLAY-NAME";
    public const string MapInvalidAddress = "GW-MAP-INVALID-ADDRESS";
    public const string NoRoute = "GW-NO-ROUTE";

    // Delivery.
    public const string ContentMissing = "GW-CONTENT-MISSING";
    public const string RecipientRefused = "GW-RECIPIENT-REFUSED";
    public const string RecipientDeferred = "GW-RECIPIENT-DEFERRED";
    public const string NoTransport = "GW-NO-TRANSPORT";

    // Delivery status notifications to senders.
    public const string DsnSent = "GW-DSN-SENT";
    public const string DsnSuppressed = "GW-DSN-SUPPRESSED";
    public const string DsnRefused = "GW-DSN-REFUSED";
    public const string DsnFailed = "GW-DSN-FAILED";
    /// <summary>The retry lifetime ran out before the recipient could be delivered (reported in DSNs as 5.4.7).</summary>
    public const string Expired = "GW-EXPIRED";

    // SMTP relay (smart host). Reason codes: the whole message, or one recipient, refused or deferred.
    /// <summary>The smart host refused the whole message for good: a 5xx to MAIL FROM or DATA.</summary>
    public const string RelayRefused = "GW-RELAY-REFUSED";
    /// <summary>The smart host refused one recipient for good: a 5xx to RCPT TO.</summary>
    public const string RelayRecipientRefused = "GW-RELAY-RECIPIENT-REFUSED";
    /// <summary>The smart host deferred one recipient: a 4xx to RCPT TO. That recipient is retried.</summary>
    public const string RelayRecipientDeferred = "GW-RELAY-RECIPIENT-DEFERRED";

    // Supervision.
    public const string Unhandled = "GW-UNHANDLED";
    public const string CrashLoop = "GW-CRASH-LOOP";
    public const string CrashSuspect = "GW-CRASH-SUSPECT";
    public const string CarefulMode = "GW-CAREFUL-MODE";
    public const string RetryScheduled = "GW-RETRY-SCHEDULED";
    public const string FaultInjection = "GW-FAULT-INJECTION";

    // Intake (the message is rejected before it is accepted: badmail, or a CLI "rejected").
    public const string MimeEmpty = "GW-MIME-EMPTY";
    public const string MimeMalformed = "GW-MIME-MALFORMED";
    public const string MimeNoSender = "GW-MIME-NO-SENDER";
    public const string MimeNoRecipients = "GW-MIME-NO-RECIPIENTS";
    public const string MimeTooLarge = "GW-MIME-TOO-LARGE";
    public const string IntakeUnreadable = "GW-INTAKE-UNREADABLE";
    /// <summary>A pickup entry that is not a regular file (symlink, FIFO, socket, device): moved to badmail unread.</summary>
    public const string PickupNotAFile = "GW-PICKUP-NOT-A-FILE";
    /// <summary>A pickup file whose name is too long to claim (over 222 bytes): moved to badmail under a shortened name.</summary>
    public const string PickupNameTooLong = "GW-PICKUP-NAME-TOO-LONG";
    public const string Busy = "GW-BUSY";
    public const string GatewayUnavailable = "GW-GATEWAY-UNAVAILABLE";
    public const string Shutdown = "GW-SHUTTING-DOWN";

    // Informational events (logged with these codes).
    public const string Accepted = "GW-ACCEPTED";
    public const string Delivered = "GW-DELIVERED";
    public const string DeliveredAlreadyPresent = "GW-DELIVERED-ALREADY-PRESENT";
    public const string DeadLettered = "GW-DEAD-LETTERED";
    public const string StageRestarted = "GW-STAGE-RESTARTED";
    public const string Resumed = "GW-RESUMED";
    public const string Abandoned = "GW-ABANDONED";
    public const string DirectoryLineSkipped = "GW-DIRECTORY-LINE-SKIPPED";
    public const string DirectoryMissing = "GW-DIRECTORY-MISSING";
    public const string RoutesReloaded = "GW-ROUTES-RELOADED";
    public const string RoutesReloadFailed = "GW-ROUTES-RELOAD-FAILED";
    public const string MessageActorFailed = "GW-MESSAGE-ACTOR-FAILED";
    public const string MessageStuck = "GW-MESSAGE-STUCK";
    public const string BadMail = "GW-BADMAIL";
    public const string RelayConnected = "GW-RELAY-CONNECTED";
    public const string RelaySent = "GW-RELAY-SENT";
    public const string RelayAlreadySent = "GW-RELAY-ALREADY-SENT";
    /// <summary>The whole message could not be relayed now (connection failure, timeout, 4xx): it is retried.</summary>
    public const string RelayDeferred = "GW-RELAY-DEFERRED";

    // Outage circuit breaker, per transport endpoint: one log event per change of state, never one per message.
    /// <summary>N consecutive transient failures (or a failed probe) opened the circuit: nothing is dispatched to the endpoint until a probe (warning).</summary>
    public const string CircuitOpen = "GW-CIRCUIT-OPEN";
    /// <summary>The open duration passed: one probe message at a time may be dispatched (info).</summary>
    public const string CircuitHalfOpen = "GW-CIRCUIT-HALF-OPEN";
    /// <summary>The endpoint answered again: dispatching resumes and every waiting message is released (info).</summary>
    public const string CircuitClosed = "GW-CIRCUIT-CLOSED";

    // Operator actions (admin API and CLI). Each is recorded in the message's timeline with who asked and why.
    public const string ReplayRequested = "GW-REPLAY-REQUESTED";
    public const string Held = "GW-HELD";
    public const string HoldReleased = "GW-HOLD-RELEASED";
    public const string Purged = "GW-PURGED";
    /// <summary>Replay or purge of a message that is not in quarantine (HTTP 409).</summary>
    public const string NotInQuarantine = "GW-NOT-IN-QUARANTINE";
    /// <summary>The message is held: release it before replaying it (HTTP 409).</summary>
    public const string MessageIsHeld = "GW-MESSAGE-HELD";
    /// <summary>Release of a message that is not held, or hold of one that is finished or purged (HTTP 409).</summary>
    public const string InvalidState = "GW-INVALID-STATE";
    /// <summary>No message with that id in the journal (HTTP 404).</summary>
    public const string MessageNotFound = "GW-MESSAGE-NOT-FOUND";

    // Data directory.
    /// <summary>The data directory had a journal, and the journal is missing, empty or a different one (or messages are in the content store and there is no journal): the node refuses to start.</summary>
    public const string JournalMissing = "GW-JOURNAL-MISSING";

    // PostgreSQL storage (actor-gateway.storage = postgres): start-up checks, one line each, and the node does not start.
    /// <summary>The PostgreSQL connection string cannot be parsed (unknown keyword, bad value, no Host).</summary>
    public const string PostgresBadConnectionString = "GW-POSTGRES-BAD-CONNECTION-STRING";
    /// <summary>PostgreSQL could not be reached within actor-gateway.postgres.connect-timeout (refused, unknown host, time-out).</summary>
    public const string PostgresUnreachable = "GW-POSTGRES-UNREACHABLE";
    /// <summary>PostgreSQL refused the login: wrong password, unknown role, no pg_hba.conf entry, or no password given.</summary>
    public const string PostgresAuthFailed = "GW-POSTGRES-AUTH-FAILED";
    /// <summary>Connected, but the gateway's tables could not be created or read (no such database, no permission).</summary>
    public const string PostgresSetupFailed = "GW-POSTGRES-SETUP-FAILED";

    // CLI errors.
    public const string CliDataDirMissing = "GW-CLI-DATA-DIR-MISSING";
    public const string CliDataDirLocked = "GW-CLI-DATA-DIR-LOCKED";
    /// <summary>The data directory cannot be written (read-only file system or no permission).</summary>
    public const string CliDataDirReadOnly = "GW-CLI-DATA-DIR-READ-ONLY";
    /// <summary>--data-dir names something that is not a directory (a regular file, for example).</summary>
    public const string CliDataDirNotADirectory = "GW-CLI-DATA-DIR-NOT-A-DIRECTORY";
    public const string CliDatabaseLocked = "GW-CLI-DB-LOCKED";
    public const string CliBadArgument = "GW-CLI-BAD-ARGUMENT";
    public const string CliNotFound = "GW-CLI-NOT-FOUND";
    public const string CliConfig = "GW-CLI-CONFIG";
    public const string CliFailed = "GW-CLI-FAILED";
    /// <summary>The CLI could not reach the admin API (is <c>gateway run</c> up?).</summary>
    public const string CliAdminUnreachable = "GW-CLI-ADMIN-UNREACHABLE";

    // Admin API (problem details carry these as "code").
    /// <summary>The admin API is listening (log event, with its address).</summary>
    public const string AdminListening = "GW-ADMIN-LISTENING";
    /// <summary>No or malformed Authorization header where a bearer token is required (HTTP 401).</summary>
    public const string AdminUnauthorized = "GW-ADMIN-UNAUTHORIZED";
    /// <summary>Wrong bearer token (HTTP 403).</summary>
    public const string AdminForbidden = "GW-ADMIN-FORBIDDEN";
    /// <summary>A mutation was asked for, or a non-loopback listener configured, but no admin token is configured (HTTP 403; refused start-up).</summary>
    public const string AdminTokenRequired = "GW-ADMIN-TOKEN-REQUIRED";
    /// <summary>A malformed request: filter, id, body or header (HTTP 400).</summary>
    public const string AdminBadRequest = "GW-ADMIN-BAD-REQUEST";
    /// <summary>No such replay job, dead-letter entry or endpoint (HTTP 404).</summary>
    public const string AdminNotFound = "GW-ADMIN-NOT-FOUND";
    /// <summary>The admin API could not bind its address (in use, or not allowed); the service does not start.</summary>
    public const string AdminListenFailed = "GW-ADMIN-LISTEN-FAILED";
    /// <summary>/readyz: a check failed (HTTP 503).</summary>
    public const string AdminNotReady = "GW-ADMIN-NOT-READY";
    /// <summary>A bulk replay job started, finished or was cancelled (log events).</summary>
    public const string ReplayJob = "GW-REPLAY-JOB";

    // Directory edits through the admin API (the console's guided mapping fix).
    /// <summary>Directory entries were set: journaled (persistence id <c>directory</c>), the file rewritten, the routes reloaded (HTTP 200 answer).</summary>
    public const string DirectoryEntrySet = "GW-DIRECTORY-ENTRY-SET";
    /// <summary>A directory entry breaks the directory file's rule: not one address, or USERID/NODE not 1-8 of A-Z, 0-9 (HTTP 400).</summary>
    public const string DirectoryInvalidEntry = "GW-DIRECTORY-INVALID-ENTRY";
    /// <summary>No directory maps the address: no route covers its domain, the route is not PROFS, or it names no directory file (HTTP 409).</summary>
    public const string DirectoryNotEditable = "GW-DIRECTORY-NOT-EDITABLE";
    /// <summary>The directory file could not be rewritten; it keeps its old content (HTTP 500).</summary>
    public const string DirectoryWriteFailed = "GW-DIRECTORY-WRITE-FAILED";

    // Clustered deployment (Akka.Cluster + Sharding).
    /// <summary>A node joined the cluster (Up) and hosts partitions (log line).</summary>
    public const string ClusterUp = "GW-CLUSTER-UP";
    /// <summary>The node could not join the cluster through its seed nodes within <c>actor-gateway.cluster.join-timeout</c> (exit 10).</summary>
    public const string ClusterJoinFailed = "GW-CLUSTER-JOIN-FAILED";
    /// <summary>A cluster needs the shared PostgreSQL storage; SQLite is one node's (exit 2).</summary>
    public const string ClusterNeedsPostgres = "GW-CLUSTER-NEEDS-POSTGRES";
    /// <summary>A partition was handed off to another node (a rebalance or a graceful leave), recording a clean stop (log line).</summary>
    public const string PartitionHandOff = "GW-PARTITION-HANDOFF";
    /// <summary>Another member became unreachable, or was downed or removed; its partitions move to the remaining nodes (log line).</summary>
    public const string ClusterMemberLost = "GW-CLUSTER-MEMBER-LOST";
    /// <summary>A partition's lease (its PostgreSQL advisory lock) failed a check: the shard stops the partition at once, and it starts again where its lease can be taken (log line).</summary>
    public const string PartitionLeaseLost = "GW-PARTITION-LEASE-LOST";
    /// <summary>This node's cluster is not the one holding the leases (two clusters on one database): the node leaves, so that its supervisor starts it again and it joins through its seeds (log line).</summary>
    public const string ClusterIsland = "GW-CLUSTER-ISLAND";
    /// <summary>This node was downed (the split brain resolver or an operator) and its process ends with exit 11, for its supervisor to start it again (log line).</summary>
    public const string ClusterDowned = "GW-CLUSTER-DOWNED";
}
