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

    // Supervision.
    public const string Unhandled = "GW-UNHANDLED";

    // Intake (the message is rejected before it is accepted: badmail, or a CLI "rejected").
    public const string MimeEmpty = "GW-MIME-EMPTY";
    public const string MimeMalformed = "GW-MIME-MALFORMED";
    public const string MimeNoSender = "GW-MIME-NO-SENDER";
    public const string MimeNoRecipients = "GW-MIME-NO-RECIPIENTS";
    public const string MimeTooLarge = "GW-MIME-TOO-LARGE";
    public const string IntakeUnreadable = "GW-INTAKE-UNREADABLE";
    public const string Busy = "GW-BUSY";
    public const string Shutdown = "GW-SHUTTING-DOWN";

    // Informational events (logged with these codes).
    public const string Accepted = "GW-ACCEPTED";
    public const string Delivered = "GW-DELIVERED";
    public const string DeliveredAlreadyPresent = "GW-DELIVERED-ALREADY-PRESENT";
    public const string DeadLettered = "GW-DEAD-LETTERED";
    public const string StageRestarted = "GW-STAGE-RESTARTED";
    public const string TransientRetry = "GW-TRANSIENT-RETRY";
    public const string Resumed = "GW-RESUMED";
    public const string Abandoned = "GW-ABANDONED";
    public const string DirectoryLineSkipped = "GW-DIRECTORY-LINE-SKIPPED";
    public const string DirectoryMissing = "GW-DIRECTORY-MISSING";
    public const string RoutesReloaded = "GW-ROUTES-RELOADED";
    public const string RoutesReloadFailed = "GW-ROUTES-RELOAD-FAILED";
    public const string MessageActorFailed = "GW-MESSAGE-ACTOR-FAILED";
    public const string MessageStuck = "GW-MESSAGE-STUCK";
    public const string BadMail = "GW-BADMAIL";

    // CLI errors.
    public const string CliDataDirMissing = "GW-CLI-DATA-DIR-MISSING";
    public const string CliDataDirLocked = "GW-CLI-DATA-DIR-LOCKED";
    public const string CliDatabaseLocked = "GW-CLI-DB-LOCKED";
    public const string CliBadArgument = "GW-CLI-BAD-ARGUMENT";
    public const string CliNotFound = "GW-CLI-NOT-FOUND";
    public const string CliConfig = "GW-CLI-CONFIG";
    public const string CliFailed = "GW-CLI-FAILED";
}
